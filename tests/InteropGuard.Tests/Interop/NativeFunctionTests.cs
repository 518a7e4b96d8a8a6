using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Tests.Interop
{
    /// <summary>Which calls are transitions into native code.</summary>
    public class NativeFunctionTests
    {
        [Theory]
        [InlineData("libc", "c")]
        [InlineData("libc.so.6", "c")]
        [InlineData("/usr/lib/x86_64-linux-gnu/libc.so.6", "c")]
        [InlineData("msvcrt.dll", "msvcrt")]
        [InlineData("KERNEL32.DLL", "kernel32")]
        [InlineData("libSystem.dylib", "system")]
        [InlineData("ole32", "ole32")]
        [InlineData("lib", "lib")]
        public void LibraryNamesAreNormalized(string library, string expected)
            => Assert.Equal(expected, NativeFunction.NormalizeLibrary(library));

        private const string Source = @"
using System;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate int NativeCallback(int x);
public delegate int ManagedCallback(int x);
public delegate int LoadedFunction(int x);
public delegate int LoadedByCast(int x);

public static partial class Api
{
    [DllImport(""mylib"", EntryPoint = ""real_name"")]
    public static extern int Renamed(int x);

    [LibraryImport(""mylib"", EntryPoint = ""lib_import"")]
    public static partial int Imported(int x);

    public static int Managed(int x) => x;

    private static readonly LoadedFunction s_loaded = Marshal.GetDelegateForFunctionPointer<LoadedFunction>(NativeLibrary.GetExport(NativeLibrary.Load(""m""), ""f""));
    private static readonly LoadedByCast s_cast = (LoadedByCast)Marshal.GetDelegateForFunctionPointer(IntPtr.Zero, typeof(LoadedByCast));

    public static unsafe void Calls(delegate* unmanaged<int, int> native, delegate*<int, int> managed, NativeCallback nativeDelegate, ManagedCallback managedDelegate)
    {
        Renamed(1);
        Imported(2);
        Managed(3);
        native(4);
        managed(5);
        nativeDelegate(6);
        managedDelegate(7);
        s_loaded(8);
        s_cast(9);
    }
}
";

        [Fact]
        public void DllImportAndLibraryImportExposeLibraryAndEntryPoint()
        {
            var test = new InteropTestCompilation(Source);
            var table = test.Context.NativeFunctions;

            var renamed = table.Get(test.Method("Api", "Renamed"));
            Assert.NotNull(renamed);
            Assert.Equal("real_name", renamed!.EntryPoint);
            Assert.Equal("mylib", renamed.Library);
            Assert.False(renamed.IsLibraryImport);

            var imported = table.Get(test.Compilation.GetTypeByMetadataName("Api")!.GetMembers("Imported").OfType<IMethodSymbol>().First());
            Assert.NotNull(imported);
            Assert.Equal("lib_import", imported!.EntryPoint);
            Assert.True(imported.IsLibraryImport);

            Assert.Null(table.Get(test.Method("Api", "Managed")));
        }

        [Fact]
        public void TransitionsAreRecognizedPerCallShape()
        {
            var test = new InteropTestCompilation(Source);
            var method = test.Method("Api", "Calls");
            var syntax = method.DeclaringSyntaxReferences.Single().GetSyntax();
            var body = test.Compilation.GetSemanticModel(syntax.SyntaxTree).GetOperation(syntax)!;
            var calls = body.Descendants().OfType<IExpressionStatementOperation>().Select(s => s.Operation).ToList();

            var transitions = calls.Select(c => test.Context.NativeFunctions.IsNativeTransition(c)).ToArray();

            // Renamed, Imported, Managed, native fnptr, managed fnptr, [UnmanagedFunctionPointer] delegate, plain delegate,
            // delegates from GetDelegateForFunctionPointer (generic, and non-generic with a cast)
            Assert.Equal(new[] { true, true, false, true, false, true, false, true, true }, transitions);
        }
        // Three trees, each a program of its own: a type split over all three (P/Invokes in one, a LibraryImport with the
        // part its generator would write in another), a nested type, a file-scoped namespace, and extern methods that are
        // no P/Invoke (an InternalCall, an instance method).
        private static readonly string[] SplitSources =
        {
            @"
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
namespace Bindings
{
    public static partial class Native
    {
        [DllImport(""liba"")] public static extern int a_open(int x);
        [MethodImpl(MethodImplOptions.InternalCall)] public static extern int Intrinsic(int x);
        public static int Managed(int x) => x;

        public static class Inner
        {
            [DllImport(""libb"", EntryPoint = ""b_run"")] public static extern void Run();
        }
    }

    public class Instance
    {
        [MethodImpl(MethodImplOptions.InternalCall)] public extern int Get();
    }
}",
            @"
using System.Runtime.InteropServices;
namespace Bindings;
public static partial class Native
{
    public static int Helper(int x) => Other.c_free(x);
}
public static class Other
{
    [DllImport(""libc"")] public static extern int c_free(int x);
}",
            @"
using System.Runtime.InteropServices;
namespace Bindings
{
    public static partial class Native
    {
        [LibraryImport(""liba"", EntryPoint = ""a_close_impl"")] public static partial int a_close(int x);
        public static partial int a_close(int x) => x;
    }
}",
        };

        [Fact]
        public void EveryMethodGetsTheAnswerOfItsOwnDeclaration()
        {
            var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create(
                "Split",
                SplitSources.Select(s => Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(s, new Microsoft.CodeAnalysis.CSharp.CSharpParseOptions(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest))),
                InteropGuard.Tests.Verification.ReferenceAssemblies.Framework,
                new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
            var methods = new[] { "Bindings.Native", "Bindings.Native+Inner", "Bindings.Instance", "Bindings.Other" }
                .SelectMany(t => compilation.GetTypeByMetadataName(t)!.GetMembers().OfType<IMethodSymbol>())
                .Where(m => m.MethodKind == MethodKind.Ordinary)
                .ToList();
            Assert.Equal(8, methods.Count);

            // Asked in declaration order and in the reverse order (a different method first), each of a fresh context.
            foreach (var order in new[] { methods, Enumerable.Reverse(methods).ToList() })
            {
                var context = InteropContext.Create(compilation, new Microsoft.CodeAnalysis.Diagnostics.AnalyzerOptions(System.Collections.Immutable.ImmutableArray<AdditionalText>.Empty));
                var answers = order.ToDictionary(m => m.Name, m => context.NativeFunctions.Get(m), System.StringComparer.Ordinal);
                foreach (var method in order)
                {
                    var expected = method.IsStatic ? NativeFunction.FromMethod(method, context.Types) : null;
                    var answer = answers[method.Name];
                    Assert.Equal(expected?.Library, answer?.Library);
                    Assert.Equal(expected?.EntryPoint, answer?.EntryPoint);
                    Assert.Equal(expected?.IsLibraryImport, answer?.IsLibraryImport);
                    Assert.Same(answer, context.NativeFunctions.Get(method));
                }

                Assert.Equal(new[] { "Run", "a_close", "a_open", "c_free" }, answers.Where(a => a.Value != null).Select(a => a.Key).OrderBy(n => n, System.StringComparer.Ordinal));
                Assert.Equal("a_close_impl", answers["a_close"]!.EntryPoint);
                Assert.Equal("b_run", answers["Run"]!.EntryPoint);
            }
        }
    }
}
