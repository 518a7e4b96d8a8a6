using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG1001 fix: GC.KeepAlive(owner) after the native call.</summary>
    public class HandleOwnerLifetimeFixTests
    {
        private static Task VerifyHandleRef(string source, string fixedSource)
        {
            var test = new CodeFixTest<HandleOwnerLifetimeAnalyzer, KeepAliveCodeFix>
            {
                DefaultDiagnosticId = "IG1001",
                Source = source,
                FixedSource = fixedSource,
                CodeActionEquivalenceKey = "IG1001.HandleRef",
            };
            return test.RunAsync();
        }

        private static Task VerifyFix(string source, string fixedSource, string? batchFixedSource = null)
        {
            var test = new CodeFixTest<HandleOwnerLifetimeAnalyzer, KeepAliveCodeFix>
            {
                DefaultDiagnosticId = "IG1001",
                Source = HandleOwnerLifetimeTests.Prelude + source,
                FixedSource = HandleOwnerLifetimeTests.Prelude + fixedSource,
                BatchFixedSource = batchFixedSource == null ? null : HandleOwnerLifetimeTests.Prelude + batchFixedSource,
                CodeActionEquivalenceKey = "IG1001.KeepAlive",
            };
            return test.RunAsync();
        }

        [Fact]
        public Task KeepAliveAfterAnExpressionStatement() => VerifyFix(@"
class C
{
    void M(Bitmap bitmap)
    {
        Native.draw([|bitmap.Handle|], 1);
        Console.WriteLine();
    }
}", @"
class C
{
    void M(Bitmap bitmap)
    {
        Native.draw(bitmap.Handle, 1);
        GC.KeepAlive(bitmap);
        Console.WriteLine();
    }
}");

        [Fact]
        public Task ReturnedValueGoesThroughALocal() => VerifyFix(@"
class C
{
    int M(Bitmap bitmap)
    {
        // draws
        return Native.draw([|bitmap.Handle|], 1);
    }
}", @"
class C
{
    int M(Bitmap bitmap)
    {
        // draws
        var result = Native.draw(bitmap.Handle, 1);
        GC.KeepAlive(bitmap);
        return result;
    }
}");

        /// <summary>
        /// The returned value goes through a local, and 'var' needs a type of its own: a target-typed 'new(...)' is declared
        /// with the member's type ('var result = new(h)' does not compile); a value with a type of its own keeps 'var'.
        /// </summary>
        [Fact]
        public Task ALocalForAValueWithoutATypeOfItsOwnIsDeclaredWithTheMembersType() => VerifyFix(@"
class Canvas
{
    public Canvas(int depth) { }
}
class Window
{
    private IntPtr _hwnd;
    ~Window() { }
    public Canvas Open() => new(Native.draw([|_hwnd|], 0));
    public short Depth() => (short)Native.draw([|_hwnd|], 1);
    public long Area() => Native.draw([|_hwnd|], 2);
}", @"
class Canvas
{
    public Canvas(int depth) { }
}
class Window
{
    private IntPtr _hwnd;
    ~Window() { }
    public Canvas Open()
    {
        Canvas result = new(Native.draw(_hwnd, 0));
        GC.KeepAlive(this);
        return result;
    }

    public short Depth()
    {
        var result = (short)Native.draw(_hwnd, 1);
        GC.KeepAlive(this);
        return result;
    }

    public long Area()
    {
        var result = Native.draw(_hwnd, 2);
        GC.KeepAlive(this);
        return result;
    }
}");

        [Fact]
        public Task ExpressionBodiedMemberBecomesABlock() => VerifyFix(@"
class Window
{
    private IntPtr _hwnd;
    ~Window() { }
    public int Paint(int result) => Native.draw([|_hwnd|], result);
    public void Show() => Native.draw([|_hwnd|], 0);
}", @"
class Window
{
    private IntPtr _hwnd;
    ~Window() { }
    public int Paint(int result)
    {
        var result1 = Native.draw(_hwnd, result);
        GC.KeepAlive(this);
        return result1;
    }

    public void Show()
    {
        Native.draw(_hwnd, 0);
        GC.KeepAlive(this);
    }
}");

        // Accessors written on one line, as bindings write their thin property wrappers: the block is laid out anew
        // instead of leaving its closing brace behind the last new statement or its first statement behind the brace.
        [Fact]
        public Task OneLineAccessorBlocksAreLaidOutAgain() => VerifyFix(@"
class Gauge
{
    private IntPtr _handle;
    ~Gauge() { }
    public int Level { get { return Native.draw([|_handle|], 0); } }
    public int Target
    {
        set { Native.draw([|_handle|], value); /* redraws */ }
    }
}", @"
class Gauge
{
    private IntPtr _handle;
    ~Gauge() { }
    public int Level
    {
        get
        {
            var result = Native.draw(_handle, 0);
            GC.KeepAlive(this);
            return result;
        }
    }
    public int Target
    {
        set
        {
            Native.draw(_handle, value); /* redraws */
            GC.KeepAlive(this);
        }
    }
}");

        // The comment closing the call's line describes the call: it stays there, once; behind an embedded call it
        // closes the block that replaces it.
        [Fact]
        public Task CommentBehindTheCallStaysOnItsLine() => VerifyFix(@"
class C
{
    void M(Bitmap bitmap)
    {
        Native.draw([|bitmap.Handle|], 1); // draws the frame
        Console.WriteLine();
    }
    void N(Bitmap bitmap, int mode)
    {
        if (mode == 0)
            Native.draw([|bitmap.Handle|], 1); // the first frame only
        Console.WriteLine();
    }
}", @"
class C
{
    void M(Bitmap bitmap)
    {
        Native.draw(bitmap.Handle, 1); // draws the frame
        GC.KeepAlive(bitmap);
        Console.WriteLine();
    }
    void N(Bitmap bitmap, int mode)
    {
        if (mode == 0)
        {
            Native.draw(bitmap.Handle, 1);
            GC.KeepAlive(bitmap);
        } // the first frame only
        Console.WriteLine();
    }
}");

        [Fact]
        public Task TemporaryOwnerIsHoisted() => VerifyFix(@"
class C
{
    void M()
    {
        var status = Native.draw([|new Bitmap().Handle|], 1);
    }
}", @"
class C
{
    void M()
    {
        var bitmap = new Bitmap();
        var status = Native.draw(bitmap.Handle, 1);
        GC.KeepAlive(bitmap);
    }
}");

        // 'var' would bind to the type named 'var' here: the new locals are declared with their own types.
        [Fact]
        public Task NewLocalsAreTypedWhereATypeNamedVarIsInScope() => VerifyFix(@"
class C
{
    class var { }
    int M(Bitmap bitmap)
    {
        return Native.draw([|bitmap.Handle|], 1);
    }
    void N()
    {
        Native.draw([|new Bitmap().Handle|], 2);
    }
}", @"
class C
{
    class var { }
    int M(Bitmap bitmap)
    {
        int result = Native.draw(bitmap.Handle, 1);
        GC.KeepAlive(bitmap);
        return result;
    }
    void N()
    {
        Bitmap bitmap = new Bitmap();
        Native.draw(bitmap.Handle, 2);
        GC.KeepAlive(bitmap);
    }
}");

        [Fact]
        public Task NestedCallEmbeddedStatementAndLambda() => VerifyFix(@"
class C
{
    static void Check(int status) { }
    void M(Bitmap bitmap, bool b)
    {
        if (b)
            Check(Native.draw([|bitmap.Handle|], 1));
        Func<Bitmap, int> f = x => Native.draw([|x.Handle|], 2);
    }
}", @"
class C
{
    static void Check(int status) { }
    void M(Bitmap bitmap, bool b)
    {
        if (b)
        {
            Check(Native.draw(bitmap.Handle, 1));
            GC.KeepAlive(bitmap);
        }
        Func<Bitmap, int> f = x =>
        {
            var result = Native.draw(x.Handle, 2);
            GC.KeepAlive(x);
            return result;
        };
    }
}");

        [Fact]
        public Task IteratorAndAsync() => VerifyFix(@"
class C
{
    IEnumerable<int> Draw(Bitmap bitmap)
    {
        yield return Native.draw([|bitmap.Handle|], 1);
    }
    async Task DrawLater(Bitmap bitmap)
    {
        await Task.Yield();
        Native.draw([|bitmap.Handle|], 1);
    }
}", @"
class C
{
    IEnumerable<int> Draw(Bitmap bitmap)
    {
        var result = Native.draw(bitmap.Handle, 1);
        GC.KeepAlive(bitmap);
        yield return result;
    }
    async Task DrawLater(Bitmap bitmap)
    {
        await Task.Yield();
        Native.draw(bitmap.Handle, 1);
        GC.KeepAlive(bitmap);
    }
}");

        [Fact]
        public Task FixAllSharesOneStatement() => VerifyFix(@"
class C
{
    void M(Bitmap a, Bitmap b, Bitmap c)
    {
        Native.draw([|a.Handle|], Native.draw([|b.Handle|], 1));
        Native.draw([|c.Handle|], 2);
    }
}", @"
class C
{
    void M(Bitmap a, Bitmap b, Bitmap c)
    {
        Native.draw(a.Handle, Native.draw(b.Handle, 1));
        GC.KeepAlive(b);
        GC.KeepAlive(a);
        Native.draw(c.Handle, 2);
        GC.KeepAlive(c);
    }
}", @"
class C
{
    void M(Bitmap a, Bitmap b, Bitmap c)
    {
        Native.draw(a.Handle, Native.draw(b.Handle, 1));
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        Native.draw(c.Handle, 2);
        GC.KeepAlive(c);
    }
}");

        [Fact]
        public Task FixAllNestedLambdaAndTwoTemporaries() => VerifyFix(@"
class C
{
    static void Run(int status, Func<Bitmap, int> next) { }
    void M(Bitmap a)
    {
        Run(Native.draw([|a.Handle|], 1), x => Native.draw([|x.Handle|], 2));
        Native.draw([|new Bitmap().Handle|], 1);
        Native.draw([|new Bitmap().RawHandle|], 2);
    }
}", @"
class C
{
    static void Run(int status, Func<Bitmap, int> next) { }
    void M(Bitmap a)
    {
        Run(Native.draw(a.Handle, 1), x =>
        {
            var result = Native.draw(x.Handle, 2);
            GC.KeepAlive(x);
            return result;
        });
        GC.KeepAlive(a);
        var bitmap = new Bitmap();
        Native.draw(bitmap.Handle, 1);
        GC.KeepAlive(bitmap);
        var bitmap1 = new Bitmap();
        Native.draw(bitmap1.RawHandle, 2);
        GC.KeepAlive(bitmap1);
    }
}", @"
class C
{
    static void Run(int status, Func<Bitmap, int> next) { }
    void M(Bitmap a)
    {
        Run(Native.draw(a.Handle, 1), x =>
        {
            var result = Native.draw(x.Handle, 2);
            GC.KeepAlive(x);
            return result;
        });
        GC.KeepAlive(a);
        var bitmap = new Bitmap();
        Native.draw(bitmap.Handle, 1);
        GC.KeepAlive(bitmap);
        var bitmap1 = new Bitmap();
        Native.draw(bitmap1.RawHandle, 2);
        GC.KeepAlive(bitmap1);
    }
}");

        [Fact]
        public Task FixAllNamesPerMember() => VerifyFix(@"
class C
{
    int A(Bitmap a) => Native.draw([|a.Handle|], 1);
    int B(Bitmap b) => Native.draw([|b.Handle|], 2);
}", @"
class C
{
    int A(Bitmap a)
    {
        var result = Native.draw(a.Handle, 1);
        GC.KeepAlive(a);
        return result;
    }

    int B(Bitmap b)
    {
        var result = Native.draw(b.Handle, 2);
        GC.KeepAlive(b);
        return result;
    }
}");

        [Fact]
        public Task ElseBranchAndSwitchSection() => VerifyFix(@"
class C
{
    void M(Bitmap bitmap, Bitmap other, int mode)
    {
        if (mode == 0)
            Console.WriteLine();
        else
            Native.draw([|bitmap.Handle|], 1);
        switch (mode)
        {
            case 1:
                Native.draw([|other.Handle|], 2);
                break;
        }
    }
}", @"
class C
{
    void M(Bitmap bitmap, Bitmap other, int mode)
    {
        if (mode == 0)
            Console.WriteLine();
        else
        {
            Native.draw(bitmap.Handle, 1);
            GC.KeepAlive(bitmap);
        }
        switch (mode)
        {
            case 1:
                Native.draw(other.Handle, 2);
                GC.KeepAlive(other);
                break;
        }
    }
}");

        [Fact]
        public Task ExpressionBodiedPropertyAndAccessor() => VerifyFix(@"
class Window
{
    private IntPtr _hwnd;
    ~Window() { }
    public int Width => Native.draw([|_hwnd|], 0);
    public int Height
    {
        get => Native.draw([|_hwnd|], 1);
    }
}", @"
class Window
{
    private IntPtr _hwnd;
    ~Window() { }
    public int Width
    {
        get
        {
            var result = Native.draw(_hwnd, 0);
            GC.KeepAlive(this);
            return result;
        }
    }

    public int Height
    {
        get
        {
            var result = Native.draw(_hwnd, 1);
            GC.KeepAlive(this);
            return result;
        }
    }
}");

        private const string Records = @"
struct Layer
{
    public IntPtr Pixels;
}
sealed class Page
{
    public Bitmap Image { get; }
    public Page(Bitmap image) => Image = image;
}
static class Compose
{
    [DllImport(""compose"")] public static extern int layers(Layer[] layers, int count);
}
";

        // A handle stored into a struct of an array: the owner expression uses the loop's index, out of scope at the call;
        // the array the owners are held by is kept alive instead (as OpenCvSharp's fix of Estimator.Apply did).
        [Fact]
        public Task HandleStoredInAStructOfAnArrayKeepsTheArrayOfOwnersAlive() => VerifyFix(Records + @"
class C
{
    void M(Page[] pages)
    {
        var layers = new Layer[pages.Length];
        for (var i = 0; i < pages.Length; i++)
            layers[i] = new Layer { Pixels = [|pages[i].Image.Handle|] };
        Compose.layers(layers, layers.Length);
    }
}", Records + @"
class C
{
    void M(Page[] pages)
    {
        var layers = new Layer[pages.Length];
        for (var i = 0; i < pages.Length; i++)
            layers[i] = new Layer { Pixels = pages[i].Image.Handle };
        Compose.layers(layers, layers.Length);
        GC.KeepAlive(pages);
    }
}");

        // The owner is a local of the loop: nothing in scope at the call holds it, so no fix is offered.
        [Fact]
        public Task NoFixWhenTheOwnerOfAStoredHandleIsALoopLocal() => VerifyFix(Records + @"
class C
{
    void M(int count)
    {
        var layers = new Layer[count];
        for (var i = 0; i < count; i++)
        {
            var image = new Bitmap();
            layers[i].Pixels = [|image.Handle|];
        }
        Compose.layers(layers, count);
    }
}", Records + @"
class C
{
    void M(int count)
    {
        var layers = new Layer[count];
        for (var i = 0; i < count; i++)
        {
            var image = new Bitmap();
            layers[i].Pixels = image.Handle;
        }
        Compose.layers(layers, count);
    }
}");

        [Fact]
        public Task NoFixWhenTheCallIsInACondition() => VerifyFix(@"
class C
{
    void M(Bitmap bitmap)
    {
        if (Native.draw([|bitmap.Handle|], 1) != 0)
            throw new InvalidOperationException();
    }
}", @"
class C
{
    void M(Bitmap bitmap)
    {
        if (Native.draw(bitmap.Handle, 1) != 0)
            throw new InvalidOperationException();
    }
}");

        private const string HandleRefPrelude = @"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"")] public static extern int draw(IntPtr bitmap, int x);
    [DllImport(""mylib"")] public static extern int wipe(IntPtr bitmap);
}
class Bitmap
{
    private IntPtr _handle;
    public IntPtr Handle => _handle;
    ~Bitmap() { }
    public int Draw() => Native.draw([|_handle|], 0);
}
";

        [Fact]
        public Task HandleRefRetypesTheParameterAndPassesEveryOwner() => VerifyHandleRef(HandleRefPrelude + @"
class C
{
    int M(Bitmap bitmap)
    {
        var h = bitmap.Handle;
        return Native.draw([|h|], 1);
    }
}", HandleRefPrelude.Replace("int draw(IntPtr bitmap", "int draw(HandleRef bitmap").Replace("Native.draw([|_handle|], 0)", "Native.draw(new HandleRef(this, _handle), 0)") + @"
class C
{
    int M(Bitmap bitmap)
    {
        var h = bitmap.Handle;
        return Native.draw(new HandleRef(bitmap, h), 1);
    }
}");

        // The light bulb plans the HandleRef action from the diagnostic's document; the project's other documents are
        // searched for references to the P/Invoke only when the action's change is computed.
        [Fact]
        public async Task OfferingHandleRefDoesNotSearchOtherDocumentsApplyingItDoes()
        {
            var project = TestProject.Create(
                new[]
                {
                    @"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"")] public static extern int draw(IntPtr bitmap, int x);
}
class Bitmap
{
    private IntPtr _handle;
    ~Bitmap() { }
    public int Draw() => Native.draw(_handle, 0);
}",
                    @"class Other
{
    public int Twice(int x) => 2 * x;
}",
                },
                TestProjectOptions.Default);
            var analysis = await AnalyzerRunner.AnalyzeAsync(project, ImmutableArray.Create<DiagnosticAnalyzer>(new HandleOwnerLifetimeAnalyzer()), allowCompilerErrors: false, "test source");
            var diagnostic = Assert.Single(analysis.AnalyzerDiagnostics);
            var document = project.GetDocument(diagnostic.Location.SourceTree)!;

            var searches = new SearchCounter();
            HandleRefCodeFix.OtherDocumentSearches.Value = searches;
            var actions = new List<CodeAction>();
            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
            await new KeepAliveCodeFix().RegisterCodeFixesAsync(context);

            var handleRef = Assert.Single(actions, a => a.EquivalenceKey == HandleRefCodeFix.EquivalenceKey);
            Assert.Equal(0, searches.Count);

            var operations = await handleRef.GetOperationsAsync(CancellationToken.None);
            var changed = Assert.Single(operations.OfType<ApplyChangesOperation>()).ChangedSolution;
            Assert.Equal(1, searches.Count);
            Assert.Contains("Native.draw(new HandleRef(this, _handle), 0)", (await changed.GetDocument(document.Id)!.GetTextAsync()).ToString());
        }

        [Fact]
        public Task NoHandleRefWhenACallerHasNoOwner() => VerifyHandleRef(@"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"")] public static extern int draw(IntPtr bitmap, int x);
}
class Bitmap
{
    private IntPtr _handle;
    ~Bitmap() { }
    public int Draw() => Native.draw([|_handle|], 0);
    public static int Zero() => Native.draw(IntPtr.Zero, 0);
}", @"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"")] public static extern int draw(IntPtr bitmap, int x);
}
class Bitmap
{
    private IntPtr _handle;
    ~Bitmap() { }
    public int Draw() => Native.draw(_handle, 0);
    public static int Zero() => Native.draw(IntPtr.Zero, 0);
}");
    }
}
