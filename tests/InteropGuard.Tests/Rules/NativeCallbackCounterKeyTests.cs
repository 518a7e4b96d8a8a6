using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on a callback that files what native code hands it under a fresh number: the class's private dictionary,
    /// made empty by the class and never handed out, takes keys only from a private counter that is only ever stepped up
    /// right after each add, so <c>Add</c> cannot meet a key already there. A dictionary another method fills under keys of
    /// its own, a counter that can also be set back, an add whose step does not follow it, and a class that makes shallow
    /// copies of itself (the copy shares the dictionary and steps its own counter), still count.
    /// </summary>
    public class NativeCallbackCounterKeyTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int TicketIssuer(IntPtr payload);

static class Booth
{
    [DllImport(""booth"")] public static extern void booth_open(TicketIssuer issuer);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string operation, string helper)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback 'Issue' is called by native function 'booth_open', and 'Keep(payload)' may throw ('" + operation
                + "' in '" + helper + "') outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task KeysFromACounterSteppedAfterEachAddAreSilent() => Check(@"
class Counter
{
    private readonly Dictionary<int, IntPtr> _held = new Dictionary<int, IntPtr>();
    private int _ticket = 1;
    private long _serial;
    private readonly Dictionary<long, IntPtr> _log = new();

    public void Open() => Booth.booth_open(Issue);

    private int Issue(IntPtr payload) => Keep(payload) + (int)Note(payload);

    private int Keep(IntPtr payload)
    {
        _held.Add(_ticket, payload);
        return _ticket++;
    }

    private long Note(IntPtr payload)
    {
        var at = _serial;
        _log.Add(_serial++, payload);
        return at;
    }

    public bool Drop(int ticket) => _held.Remove(ticket);

    public int Count => _held.Count;

    public void Reset() => _held.Clear();
}");

        [Fact]
        public Task AnotherAdderASteppedBackCounterALateStepOrAShallowCloneStillThrow() => Check(@"
class Shared
{
    private readonly Dictionary<int, IntPtr> _held = new Dictionary<int, IntPtr>();
    private int _ticket = 1;

    public void Open() => Booth.booth_open(Issue);

    private int {|#0:Issue|}(IntPtr payload) => Keep(payload);

    private int Keep(IntPtr payload)
    {
        _held.Add(_ticket, payload);
        return _ticket++;
    }

    public void Reserve(int ticket) => _held.Add(ticket, IntPtr.Zero);
}

class Rewound
{
    private readonly Dictionary<int, IntPtr> _held = new Dictionary<int, IntPtr>();
    private int _ticket = 1;

    public void Open() => Booth.booth_open(Issue);

    private int {|#1:Issue|}(IntPtr payload) => Keep(payload);

    private int Keep(IntPtr payload)
    {
        _held.Add(_ticket, payload);
        return _ticket++;
    }

    public void Rewind() => _ticket--;
}

class Late
{
    private readonly Dictionary<int, IntPtr> _held = new Dictionary<int, IntPtr>();
    private int _ticket = 1;

    public void Open() => Booth.booth_open(Issue);

    private int {|#2:Issue|}(IntPtr payload) => Keep(payload);

    private int Keep(IntPtr payload)
    {
        _held.Add(_ticket, payload);
        var issued = _ticket;
        _ticket++;
        return issued;
    }
}

class Cloned
{
    private readonly Dictionary<int, IntPtr> _held = new Dictionary<int, IntPtr>();
    private int _ticket = 1;

    public void Open() => Booth.booth_open(Issue);

    private int {|#3:Issue|}(IntPtr payload) => Keep(payload);

    private int Keep(IntPtr payload)
    {
        _held.Add(_ticket, payload);
        return _ticket++;
    }

    public Cloned Twin() => (Cloned)MemberwiseClone();
}",
            Finding(0, "_held.Add(_ticket, payload)", "Keep"),
            Finding(1, "_held.Add(_ticket, payload)", "Keep"),
            Finding(2, "_held.Add(_ticket, payload)", "Keep"),
            Finding(3, "_held.Add(_ticket, payload)", "Keep"));
    }
}
