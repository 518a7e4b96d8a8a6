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
    }
}
