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
    /// <summary>IG3006 fixes: pass the SafeHandle to the P/Invoke; bracket the use with AddRef/Release.</summary>
    public class SafeHandleRefCountFixTests
    {
        private const string PassSafeHandle = "IG3006.PassSafeHandle";
        private const string AddRefRelease = "IG3006.AddRefRelease";

        private static Task VerifyFix(string source, string fixedSource, string key, string? batchFixedSource = null)
        {
            var test = new CodeFixTest<SafeHandleRefCountAnalyzer, SafeHandleRefCountCodeFix>
            {
                Source = source,
                FixedSource = fixedSource,
                BatchFixedSource = batchFixedSource,
                CodeActionEquivalenceKey = key,
            };
            return test.RunAsync();
        }

        // ---- IG3006.PassSafeHandle ----

        [Fact]
        public Task PassesTheConcreteSafeHandleAndRetypesTheParameter() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern int native_read(IntPtr handle, byte[] buffer, int length);
}

class Reader
{
    public int Read(SafeFileHandle file, byte[] buffer) => Native.native_read([|file.DangerousGetHandle()|], buffer, buffer.Length);

    public int ReadAll(SafeFileHandle other, byte[] buffer)
    {
        return Native.native_read([|other.DangerousGetHandle()|], buffer, 1);
    }
}", @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern int native_read(SafeFileHandle handle, byte[] buffer, int length);
}

class Reader
{
    public int Read(SafeFileHandle file, byte[] buffer) => Native.native_read(file, buffer, buffer.Length);

    public int ReadAll(SafeFileHandle other, byte[] buffer)
    {
        return Native.native_read(other, buffer, 1);
    }
}", PassSafeHandle);

        [Fact]
        public Task MixedHandleTypesRetypeToSafeHandleAndAddTheImport() => VerifyFix(@"using System;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [System.Runtime.InteropServices.DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    void A(SafeFileHandle file) => Native.native_close([|file.DangerousGetHandle()|]);
    void B(SafeWaitHandle wait) => Native.native_close([|wait.DangerousGetHandle()|]);
}", @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [System.Runtime.InteropServices.DllImport(""sample"")]
    public static extern void native_close(SafeHandle handle);
}

class C
{
    void A(SafeFileHandle file) => Native.native_close(file);
    void B(SafeWaitHandle wait) => Native.native_close(wait);
}", PassSafeHandle);

        [Fact]
        public Task FixAllLeavesFindingsItCannotFixWithThisAction() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);

    [DllImport(""sample"")]
    public static extern void native_flush(IntPtr handle);
}

class C
{
    void A(SafeFileHandle file) => Native.native_close([|file.DangerousGetHandle()|]);
    void B(SafeFileHandle file) => Native.native_flush([|file.DangerousGetHandle()|]);
    void D(IntPtr raw) => Native.native_flush(raw);
}", @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(SafeFileHandle handle);

    [DllImport(""sample"")]
    public static extern void native_flush(IntPtr handle);
}

class C
{
    void A(SafeFileHandle file) => Native.native_close(file);
    void B(SafeFileHandle file) => Native.native_flush([|file.DangerousGetHandle()|]);
    void D(IntPtr raw) => Native.native_flush(raw);
}", PassSafeHandle);

        [Fact]
        public Task NotOfferedWhenAnotherCallerPassesAnIntPtr() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    void A(SafeFileHandle file) => Native.native_close([|file.DangerousGetHandle()|]);
    void B(IntPtr raw) => Native.native_close(raw);
}", @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    void A(SafeFileHandle file) => Native.native_close([|file.DangerousGetHandle()|]);
    void B(IntPtr raw) => Native.native_close(raw);
}", PassSafeHandle);

        [Fact]
        public Task NotOfferedThroughALocalOrAWrapper() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);

    public static void Close(IntPtr handle) => native_close(handle);
}

class C
{
    void A(SafeFileHandle file)
    {
        var raw = [|file.DangerousGetHandle()|];
        Native.native_close(raw);
    }

    void B(SafeFileHandle file) => Native.Close([|file.DangerousGetHandle()|]);
}", @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);

    public static void Close(IntPtr handle) => native_close(handle);
}

class C
{
    void A(SafeFileHandle file)
    {
        var raw = [|file.DangerousGetHandle()|];
        Native.native_close(raw);
    }

    void B(SafeFileHandle file) => Native.Close([|file.DangerousGetHandle()|]);
}", PassSafeHandle);

        [Fact]
        public Task RetypesAcrossDocumentsOfTheProject()
        {
            var test = new CodeFixTest<SafeHandleRefCountAnalyzer, SafeHandleRefCountCodeFix>
            {
                Source = @"using System;
using Microsoft.Win32.SafeHandles;

class Writer
{
    public void Flush(SafeFileHandle file) => NativeMethods.native_flush([|file.DangerousGetHandle()|]);
}",
                FixedSource = @"using System;
using Microsoft.Win32.SafeHandles;

class Writer
{
    public void Flush(SafeFileHandle file) => NativeMethods.native_flush(file);
}",
                CodeActionEquivalenceKey = PassSafeHandle,
            };
            test.AdditionalSources.Add(@"using System;
using System.Runtime.InteropServices;

static class NativeMethods
{
    [DllImport(""sample"")]
    internal static extern void native_flush(IntPtr handle);
}");
            test.FixedAdditionalSources.Add(@"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class NativeMethods
{
    [DllImport(""sample"")]
    internal static extern void native_flush(SafeFileHandle handle);
}");
            return test.RunAsync();
        }

        // The light bulb offers the action from the diagnostic's document alone; the search of the project's other
        // documents for callers runs only when the action's change is computed.
        [Fact]
        public async Task OfferingPassSafeHandleDoesNotSearchTheProjectApplyingItDoes()
        {
            var project = TestProject.Create(
                new[]
                {
                    @"using Microsoft.Win32.SafeHandles;

class Writer
{
    public void Flush(SafeFileHandle file) => NativeMethods.native_flush(file.DangerousGetHandle());
}",
                    @"using System;
using System.Runtime.InteropServices;

static class NativeMethods
{
    [DllImport(""sample"")]
    internal static extern void native_flush(IntPtr handle);
}",
                },
                TestProjectOptions.Default);
            var analysis = await AnalyzerRunner.AnalyzeAsync(project, ImmutableArray.Create<DiagnosticAnalyzer>(new SafeHandleRefCountAnalyzer()), allowCompilerErrors: false, "test source");
            var diagnostic = Assert.Single(analysis.AnalyzerDiagnostics);
            var document = project.GetDocument(diagnostic.Location.SourceTree)!;

            var scans = new SearchCounter();
            global::InteropGuard.CodeFixes.PassSafeHandle.ProjectScans.Value = scans;
            var actions = new List<CodeAction>();
            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
            await new SafeHandleRefCountCodeFix().RegisterCodeFixesAsync(context);

            Assert.Equal(PassSafeHandle, actions[0].EquivalenceKey);
            Assert.Equal(0, scans.Count);

            var operations = await actions[0].GetOperationsAsync(CancellationToken.None);
            var changed = Assert.Single(operations.OfType<ApplyChangesOperation>()).ChangedSolution;
            Assert.Equal(1, scans.Count);
            var declaration = changed.GetDocument(project.Documents.Single(d => d.Id != document.Id).Id)!;
            Assert.Contains("native_flush(SafeFileHandle handle)", (await declaration.GetTextAsync()).ToString());
        }

        // ---- IG3006.AddRefRelease ----

        [Fact]
        public Task BracketsTheStatementsThatUseTheValue() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    void M(SafeFileHandle file)
    {
        Console.WriteLine(""closing"");
        var raw = [|file.DangerousGetHandle()|];
        Console.WriteLine(raw);
        Native.native_close(raw);
        Console.WriteLine(""closed"");
    }
}", @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    void M(SafeFileHandle file)
    {
        Console.WriteLine(""closing"");
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var raw = file.DangerousGetHandle();
            Console.WriteLine(raw);
            Native.native_close(raw);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }

        Console.WriteLine(""closed"");
    }
}", AddRefRelease);

        // Found by the robustness suite: in unreachable code the bracket cannot count (no path reaches the AddRef), so
        // the finding stays after the rewrite; the fix is not offered there rather than applied to no effect.
        [Fact]
        public Task NotOfferedForAnUnreachableUse() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    void M(SafeFileHandle file)
    {
        var raw = [|file.DangerousGetHandle()|];
        Native.native_close(raw);
        return;
        var again = [|file.DangerousGetHandle()|];
        Native.native_close(again);
    }
}", @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    void M(SafeFileHandle file)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var raw = file.DangerousGetHandle();
            Native.native_close(raw);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }

        return;
        var again = [|file.DangerousGetHandle()|];
        Native.native_close(again);
    }
}", AddRefRelease);

        [Fact]
        public Task ExpressionBodiesBecomeBlocksWithUniqueNames() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern int native_read(IntPtr handle, byte[] buffer, int length);
}

class C
{
    private readonly SafeFileHandle _file = new SafeFileHandle(IntPtr.Zero, true);

    int Read(byte[] added) => Native.native_read([|_file.DangerousGetHandle()|], added, added.Length);

    Task ReadLater(byte[] buffer) => Task.Run(() => Native.native_read([|_file.DangerousGetHandle()|], buffer, 1));
}", @"using System;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern int native_read(IntPtr handle, byte[] buffer, int length);
}

class C
{
    private readonly SafeFileHandle _file = new SafeFileHandle(IntPtr.Zero, true);

    int Read(byte[] added)
    {
        bool added2 = false;
        try
        {
            _file.DangerousAddRef(ref added2);
            return Native.native_read(_file.DangerousGetHandle(), added, added.Length);
        }
        finally
        {
            if (added2)
            {
                _file.DangerousRelease();
            }
        }
    }

    Task ReadLater(byte[] buffer) => Task.Run(() =>
    {
        bool added = false;
        try
        {
            _file.DangerousAddRef(ref added);
            return Native.native_read(_file.DangerousGetHandle(), buffer, 1);
        }
        finally
        {
            if (added)
            {
                _file.DangerousRelease();
            }
        }
    });
}", AddRefRelease);

        [Fact]
        public Task FixAllNestsTwoHandlesInOneStatement() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_copy(IntPtr from, IntPtr to);
}

class C
{
    void M(SafeFileHandle a, SafeFileHandle b)
    {
        Native.native_copy([|a.DangerousGetHandle()|], [|b.DangerousGetHandle()|]);
    }
}", @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_copy(IntPtr from, IntPtr to);
}

class C
{
    void M(SafeFileHandle a, SafeFileHandle b)
    {
        bool added = false;
        try
        {
            a.DangerousAddRef(ref added);
            bool added2 = false;
            try
            {
                b.DangerousAddRef(ref added2);
                Native.native_copy(a.DangerousGetHandle(), b.DangerousGetHandle());
            }
            finally
            {
                if (added2)
                {
                    b.DangerousRelease();
                }
            }
        }
        finally
        {
            if (added)
            {
                a.DangerousRelease();
            }
        }
    }
}", AddRefRelease);

        [Fact]
        public Task StoredValueAndEmbeddedStatement() => VerifyFix(@"using System;
using Microsoft.Win32.SafeHandles;

class C
{
    private IntPtr _raw;

    void M(SafeFileHandle file, bool remember)
    {
        if (remember)
            _raw = [|file.DangerousGetHandle()|];
    }
}", @"using System;
using Microsoft.Win32.SafeHandles;

class C
{
    private IntPtr _raw;

    void M(SafeFileHandle file, bool remember)
    {
        if (remember)
        {
            bool added = false;
            try
            {
                file.DangerousAddRef(ref added);
                _raw = file.DangerousGetHandle();
            }
            finally
            {
                if (added)
                {
                    file.DangerousRelease();
                }
            }
        }
    }
}", AddRefRelease);

        [Fact]
        public Task AsyncMethodAndLocalFunction() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    async Task CloseLater(SafeFileHandle file)
    {
        await Task.Yield();
        Native.native_close([|file.DangerousGetHandle()|]);
    }

    void M(SafeFileHandle file)
    {
        Close();

        void Close() => Native.native_close([|file.DangerousGetHandle()|]);
    }
}", @"using System;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    async Task CloseLater(SafeFileHandle file)
    {
        await Task.Yield();
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            Native.native_close(file.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    void M(SafeFileHandle file)
    {
        Close();

        void Close()
        {
            bool added = false;
            try
            {
                file.DangerousAddRef(ref added);
                Native.native_close(file.DangerousGetHandle());
            }
            finally
            {
                if (added)
                {
                    file.DangerousRelease();
                }
            }
        }
    }
}", AddRefRelease);

        [Fact]
        public Task PassSafeHandleIsTheFirstActionAndAddRefReleaseTheSecond()
        {
            var test = new CodeFixTest<SafeHandleRefCountAnalyzer, SafeHandleRefCountCodeFix>
            {
                Source = @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    void M(SafeFileHandle file)
    {
        Native.native_close([|file.DangerousGetHandle()|]);
    }
}",
                FixedSource = @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    void M(SafeFileHandle file)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            Native.native_close(file.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }
}",
                CodeActionIndex = 1,
            };
            return test.RunAsync();
        }

        [Fact]
        public Task NoBracketForAReceiverThatIsACall() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    static SafeFileHandle Current() => new SafeFileHandle(IntPtr.Zero, false);

    void M()
    {
        var raw = [|Current().DangerousGetHandle()|];
        Native.native_close(raw);
    }
}", @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern void native_close(IntPtr handle);
}

class C
{
    static SafeFileHandle Current() => new SafeFileHandle(IntPtr.Zero, false);

    void M()
    {
        var raw = [|Current().DangerousGetHandle()|];
        Native.native_close(raw);
    }
}", AddRefRelease);

        [Fact]
        public Task BracketExtendsOverReadersOfAssignedLocals() => VerifyFix(@"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern int native_poll(IntPtr handle);
}

class C
{
    int M(SafeFileHandle file)
    {
        IntPtr raw;
        raw = [|file.DangerousGetHandle()|];
        while (Native.native_poll(raw) > 0)
        {
            Console.WriteLine(""busy"");
        }

        return 0;
    }
}", @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")]
    public static extern int native_poll(IntPtr handle);
}

class C
{
    int M(SafeFileHandle file)
    {
        IntPtr raw;
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            raw = file.DangerousGetHandle();
            while (Native.native_poll(raw) > 0)
            {
                Console.WriteLine(""busy"");
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }

        return 0;
    }
}", AddRefRelease);

        [Fact]
        public Task AddRefFindingsHaveNoFix() => VerifyFix(@"using System;
using Microsoft.Win32.SafeHandles;

class C
{
    void M(SafeFileHandle file)
    {
        bool ok = false;
        [|file.DangerousAddRef(ref ok)|];
    }
}", @"using System;
using Microsoft.Win32.SafeHandles;

class C
{
    void M(SafeFileHandle file)
    {
        bool ok = false;
        [|file.DangerousAddRef(ref ok)|];
    }
}", AddRefRelease);
    }
}
