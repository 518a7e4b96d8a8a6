using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Interop;
using InteropGuard.Rules;
using InteropGuard.Tests.Robustness;
using InteropGuard.Tests.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// <see cref="HandleOwners.MayHaveOwner"/> lets IG1001 skip a call's argument before it looks up the callee or searches
    /// for an owner. It may let through arguments that have none, never drop one that has: each owner shape the rule
    /// finds must pass it, and the ownerless look-alikes that bindings pass by the thousand must stop at it.
    /// </summary>
    public class HandleOwnerGateTests
    {
        [Theory]
        // Through a property returning the owner's field, an auto-property, and a field of 'this'.
        [InlineData("void M(Bitmap b) { Native.draw(b.Handle, 1); }")]
        [InlineData("void M(Bitmap b) { Native.draw(b.RawHandle, 1); }")]
        [InlineData("class Window { IntPtr _hwnd; ~Window() { } void M() { Native.draw(_hwnd, 1); } }")]
        [InlineData("class Window { IntPtr _hwnd; ~Window() { } void M(Window other) { Native.draw(other._hwnd, 1); } }")]
        // A temporary, a local owner, an owner held in a field, and the handle of a held SafeHandle.
        [InlineData("void M() { Native.draw(Bitmap.Create().Handle, 1); }")]
        [InlineData("void M() { var b = new Bitmap(); Native.draw(b.Handle, 1); }")]
        [InlineData("void M(Holder h) { Native.draw(h.Bitmap.Handle, 1); }")]
        [InlineData("void M(Holder h) { Native.draw(h.FileValue, 1); }")]
        // Through a local assigned from the handle, a conversion, and a pointer.
        [InlineData("void M(Bitmap b) { var h = b.Handle; Native.draw(h, 1); }")]
        [InlineData("void M(Bitmap b) { nint h = b.Handle; Native.draw((IntPtr)h, 1); }")]
        [InlineData("unsafe void M(Bitmap b) { Native.drawPtr((void*)b.Handle); }")]
        // Through a wrapper that forwards its parameter to native code.
        [InlineData("void M(Bitmap b) { Native.Draw(b.Handle); }")]
        // An array of handles, created in place or held by a local.
        [InlineData("void M(Bitmap a, Bitmap b) { Native.drawAll(new[] { a.Handle, b.Handle }); }")]
        [InlineData("void M(Bitmap a) { var all = new IntPtr[] { a.Handle }; Native.drawAll(all); }")]
        public void EveryOwnerTheRuleFindsPassesTheGate(string member)
        {
            var (owners, arguments, origin) = Arguments(member);
            var owned = arguments.Where(a => owners.FindAll(a.Value, origin).Any()).ToList();
            Assert.NotEmpty(owned);
            Assert.All(owned, argument => Assert.True(owners.MayHaveOwner(argument.Value), argument.Syntax.ToString()));
            Assert.All(owned, argument => Assert.True(HandleOwners.MayCarryOwner(argument.Value), argument.Syntax.ToString()));
        }

        [Theory]
        // A parameter, a call's result, a constant, 'this' and pointer arithmetic: no callee lookup for these calls.
        [InlineData("void M(IntPtr p) { Native.draw(p, 1); }")]
        [InlineData("void M() { Native.draw(Make(), 1); } static IntPtr Make() => IntPtr.Zero;")]
        [InlineData("void M() { Native.draw(new IntPtr(4), 2); Native.draw(IntPtr.Add(IntPtr.Zero, 8), 3); }")]
        [InlineData("void M(Bitmap b) { Native.draw(b.Handle + 1, b.Width); }")]
        [InlineData("unsafe void M(byte* p, int x) { Native.drawPtr(&x); Native.drawPtr(p + 1); }")]
        // A local or field of a type that carries no handle.
        [InlineData("int _width; void M(int n) { var k = n; Native.draw(IntPtr.Add(IntPtr.Zero, k), _width); }")]
        public void CallsPassingNoReadOfAHandleStopBeforeTheCalleeLookup(string member)
        {
            var (_, arguments, _) = Arguments(member);
            Assert.NotEmpty(arguments);
            Assert.All(arguments, argument => Assert.False(HandleOwners.MayCarryOwner(argument.Value), argument.Syntax.ToString()));
        }

        [Theory]
        // A parameter, a call's result, a constant, a static field, an address and pointer arithmetic.
        [InlineData("void M(IntPtr p) { Native.draw(p, 1); }")]
        [InlineData("void M() { Native.draw(Make(), 1); } static IntPtr Make() => IntPtr.Zero;")]
        [InlineData("void M() { Native.draw(IntPtr.Zero, 1); Native.draw(new IntPtr(4), 2); Native.draw((IntPtr)8, 3); }")]
        [InlineData("static IntPtr s_shared; void M() { Native.draw(s_shared, 1); }")]
        [InlineData("unsafe void M(byte* p, int x) { Native.drawPtr(&x); Native.drawPtr(p + 1); }")]
        // A field of an object without a finalizer, of a struct, and of a SafeHandle itself.
        [InlineData("void M(Plain p) { Native.draw(p.Handle, 1); }")]
        [InlineData("void M(Value v) { Native.draw(v.Handle, 1); }")]
        [InlineData("void M(FileHandle f) { Native.draw(f.DangerousGetHandle(), 1); }")]
        // An array of handles that are all ownerless.
        [InlineData("void M(IntPtr a, IntPtr b) { Native.drawAll(new[] { a, b }); }")]
        public void OwnerlessLookAlikesStopAtTheGate(string member)
        {
            var (owners, arguments, origin) = Arguments(member);
            Assert.NotEmpty(arguments);
            Assert.All(arguments, argument =>
            {
                Assert.Empty(owners.FindAll(argument.Value, origin));
                Assert.False(owners.MayHaveOwner(argument.Value), argument.Syntax.ToString());
            });
        }

        [Fact]
        public async Task ABodyWhoseHandlesHaveNoOwnerEndsAtTheWalk()
        {
            // The prelude's own bodies pass parameters and a SafeHandle's field: none reaches the owner search either.
            var source = SourceHarvest.All[0] with
            {
                Text = HandleOwnerLifetimeTests.Prelude + "class C { void M(IntPtr p, Plain q) { Native.draw(p, 1); Native.draw(q.Handle, 2); Native.Draw(p); } }\n",
                Companions = System.Array.Empty<string>(),
                EditorConfig = null,
            };
            var analyzer = new HandleOwnerLifetimeAnalyzer();
            var analysis = await VariantCompiler.AnalyzeAsync(source, source.Text, ImmutableArray.Create<DiagnosticAnalyzer>(analyzer));
            Assert.Empty(analysis.Exceptions);
            Assert.DoesNotContain(analysis.Diagnostics, d => d.Id == "IG1001");
            Assert.Equal(0, analyzer.TreeDecided);
            Assert.Equal(0, analyzer.GraphDecided);
        }

        [Fact]
        public void NoArgumentOfTheRepositoryWithAnOwnerIsStopped()
        {
            var stopped = new ConcurrentQueue<string>();
            var owned = 0;
            Parallel.ForEach(SourceHarvest.All, new ParallelOptions { MaxDegreeOfParallelism = VariantSet.Parallelism }, source =>
            {
                var compilation = VariantCompiler.Compile(source, source.Text);
                var interop = InteropContext.Create(compilation, VariantCompiler.OptionsFor(source));
                var owners = new HandleOwners(interop.Types, compilation, MethodCallers.Of(interop));
                foreach (var tree in compilation.SyntaxTrees)
                {
                    var model = compilation.GetSemanticModel(tree);
                    foreach (var body in tree.GetRoot().DescendantNodes().Where(n => n is BaseMethodDeclarationSyntax || n is AccessorDeclarationSyntax || n is LocalFunctionStatementSyntax))
                    {
                        if (model.GetOperation(body) is not { } root)
                        {
                            continue;
                        }

                        var origin = Origins(root);
                        foreach (var argument in root.Descendants().OfType<IArgumentOperation>())
                        {
                            if (owners.FindAll(argument.Value, origin).Any())
                            {
                                System.Threading.Interlocked.Increment(ref owned);
                                if (!owners.MayHaveOwner(argument.Value) || !HandleOwners.MayCarryOwner(argument.Value))
                                {
                                    stopped.Enqueue(source.Name + ": " + argument.Syntax);
                                }
                            }
                        }
                    }
                }
            });

            Assert.True(stopped.IsEmpty, string.Join("\n", stopped));
            Assert.True(owned >= 50, $"Only {owned} arguments with an owner over the repository's sources: the check means little.");
        }

        /// <summary>The arguments of the calls in <paramref name="member"/>'s body, with the gate's owners and local origins.</summary>
        private static (HandleOwners Owners, List<IArgumentOperation> Arguments, System.Func<ILocalSymbol, IOperation?> Origin) Arguments(string member)
        {
            var text = HandleOwnerLifetimeTests.Prelude.Replace("public static int Draw(IntPtr bitmap) => draw(bitmap, 0);",
                           "public static int Draw(IntPtr bitmap) => draw(bitmap, 0);\n    [DllImport(\"mylib\")] public static extern int drawAll(IntPtr[] bitmaps);")
                       + (member.StartsWith("class ", System.StringComparison.Ordinal) ? member : "class C\n{\n    " + member + "\n}\n");
            var test = new InteropTestCompilation(text);
            var owners = new HandleOwners(test.Context.Types, test.Compilation, MethodCallers.Of(test.Context));
            var tree = test.Compilation.SyntaxTrees.Single();
            var model = test.Compilation.GetSemanticModel(tree);
            var type = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().Last();
            var method = type.Members.OfType<MethodDeclarationSyntax>().First(m => m.Identifier.Text == "M");
            var root = model.GetOperation(method)!;
            var arguments = root.Descendants().OfType<IArgumentOperation>()
                .Where(a => a.Parent is IInvocationOperation { TargetMethod.ContainingType.Name: "Native" })
                .ToList();
            return (owners, arguments, Origins(root));
        }

        /// <summary>Each local's initializer: enough for the owners these bodies hold, which assign each local once.</summary>
        private static System.Func<ILocalSymbol, IOperation?> Origins(IOperation root)
        {
            var values = new Dictionary<ILocalSymbol, IOperation>(SymbolEqualityComparer.Default);
            foreach (var declarator in root.Descendants().OfType<IVariableDeclaratorOperation>())
            {
                if (declarator.Initializer is { } initializer)
                {
                    values[declarator.Symbol] = initializer.Value;
                }
            }

            return local => values.TryGetValue(local, out var value) ? value : null;
        }
    }
}
