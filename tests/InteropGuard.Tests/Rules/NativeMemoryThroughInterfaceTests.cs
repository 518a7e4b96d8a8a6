using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A value given to a member of an interface of this compilation that has no body (ClearScript's platform binding,
    /// IV8SplitProxyNative, whose implementations forward a GCHandle number to a P/Invoke that keeps it) is handed on, as a
    /// value given to an abstract class member is: the implementation that runs is not one this reading picks. A class
    /// method whose body only reads the value still leaves it unreleased.
    /// </summary>
    public class NativeMemoryThroughInterfaceTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

interface IEngineNative
{
    IntPtr Compile(IntPtr context, IntPtr documentInfo);
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
        public Task AValueGivenToAnInterfaceMemberIsHandedOn() => Check(@"
sealed class Context
{
    private readonly IEngineNative _native;

    public Context(IEngineNative native) { _native = native; }

    public IntPtr Compile(IntPtr context)
    {
        var info = Marshal.AllocHGlobal(16);
        return _native.Compile(context, info);
    }
}");

        [Fact]
        public Task AValueOnlyReadByAClassMethodIsStillNotReleased() => Check(@"
sealed class Context
{
    private readonly Logger _logger = new Logger();

    public int Describe()
    {
        var info = {|#0:Marshal.AllocHGlobal(16)|};
        return _logger.Describe(info);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'info' is not released by 'Marshal.FreeHGlobal' on the 'return _logger.Describe(info)'"));
    }
}
