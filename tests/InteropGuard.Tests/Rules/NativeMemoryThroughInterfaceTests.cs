using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A value given to a member without a body of an internal interface that the library implements itself (ClearScript's
    /// platform binding, IV8SplitProxyNative, whose implementations forward a GCHandle number to a P/Invoke that keeps it)
    /// is handed on, as a value given to an abstract class member is: the implementation that runs is picked at run time,
    /// not by this reading. A public interface the user implements, and a class method whose body only reads the value,
    /// are still calls that use it for their duration.
    /// </summary>
    public class NativeMemoryThroughInterfaceTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

interface IEngineNative
{
    IntPtr Compile(IntPtr context, IntPtr documentInfo);
}

sealed class EngineNative : IEngineNative
{
    [DllImport(""engine"")] private static extern IntPtr engine_compile(IntPtr context, IntPtr documentInfo);

    IntPtr IEngineNative.Compile(IntPtr context, IntPtr documentInfo) => engine_compile(context, documentInfo);
}

public interface IUserSink
{
    void Write(IntPtr documentInfo);
}

sealed class Logger
{
    public int Describe(IntPtr documentInfo) => 0;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task AValueGivenToTheLibrarysOwnInterfaceIsHandedOn() => Check(@"
sealed class Context
{
    private readonly IEngineNative _native = new EngineNative();

    public IntPtr Compile(IntPtr context)
    {
        var info = Marshal.AllocHGlobal(16);
        return _native.Compile(context, info);
    }
}");

        [Fact]
        public Task AValueGivenToTheUsersInterfaceOrOnlyReadByAClassMethodIsStillNotReleased() => Check(@"
sealed class Context
{
    private readonly Logger _logger = new Logger();

    public int Describe()
    {
        var info = {|#0:Marshal.AllocHGlobal(16)|};
        return _logger.Describe(info);
    }

    public void Write(IUserSink sink)
    {
        var info = {|#1:Marshal.AllocHGlobal(16)|};
        sink.Write(info);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'info' is not released by 'Marshal.FreeHGlobal' on the 'return _logger.Describe(info)'"),
            Verify.Diagnostic("IG3001").WithLocation(1));
    }
}
