using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on decoding with an encoding an object keeps (KeraLua's <c>LuaState.Encoding</c>): when everything the
    /// compilation stores into the member is a replacing framework encoding, or the same member of another object, decoding
    /// with it does not throw; one store of a strict encoding, or of an encoding handed in, makes it count again. Taking from
    /// a concurrent queue is quiet beside it.
    /// </summary>
    public class NativeCallbackKeptEncodingTests
    {
        private const string State = @"using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

unsafe sealed class State
{
    public Encoding Encoding { get; set; }
    public static State Main;
    public static readonly ConcurrentQueue<int> Released = new ConcurrentQueue<int>();

    public State() { Encoding = Encoding.ASCII; }
    public State(State main) { Encoding = main.Encoding; }

    public string Read(byte* text, int length) => Encoding.GetString(text, length);

    [UnmanagedCallersOnly]
    static int {|#0:OnText|}(byte* text, int length)
    {
        while (Released.TryDequeue(out var unused)) { }
        return Main.Read(text, length).Length;
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = State + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Decoding()
            => Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
                "Callback 'OnText' is [UnmanagedCallersOnly], and 'Main.Read(text, length)' may throw ('Encoding.GetString(text, length)' in 'Read') outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task AnEncodingOnlyEverSetToAReplacingOneDoesNotThrow() => Check(@"
static class Setup
{
    public static void Start() => State.Main = new State(new State());
}");

        [Fact]
        public Task OneStrictStoreMakesDecodingCount() => Check(@"
static class Setup
{
    public static void Start() => State.Main = new State { Encoding = new UTF8Encoding(false, true) };
}", Decoding());

        [Fact]
        public Task AnEncodingHandedInMakesDecodingCount() => Check(@"
static class Setup
{
    public static void Use(Encoding chosen) => State.Main.Encoding = chosen;
}", Decoding());
    }
}
