using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001/IG5002 on a callback that calls through a private field of a public interface (or an unsealed public class)
    /// type which the library only ever fills with an object of its own class: the user could implement the interface,
    /// but nothing lets the user's object into that field, so the call runs the library's class and throws what it throws.
    /// A field the library's user can fill (a public constructor's parameter), or one that may also hold null, is still
    /// the user's code.
    /// </summary>
    public class NativeCallbackLibraryHeldObjectTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void SlotDropped(int slot);

static class Native
{
    [DllImport(""engine"")] public static extern IntPtr engine_open(SlotDropped dropped);
}

public interface ISlotTable
{
    int Put(object value);
    void Drop(int slot);
}

public class SlotTable : ISlotTable
{
    private readonly Dictionary<int, object> _values = new Dictionary<int, object>();
    private int _next = 1;
    public int Put(object value) { _values[_next] = value; return _next++; }
    public void Drop(int slot) => _values.Remove(slot);
}

public class StrictSlotTable : ISlotTable
{
    private readonly Dictionary<int, object> _values = new Dictionary<int, object>();
    public int Put(object value) { _values.Add(_values.Count, value); return _values.Count - 1; }
    public void Drop(int slot)
    {
        if (!_values.Remove(slot))
        {
            throw new KeyNotFoundException(""no slot "" + slot);
        }
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult At(string id) => Verify.Diagnostic(id).WithLocation(0);

        private static DiagnosticResult UsersDrop => At("IG5002").WithMessage(
            "Callback 'OnDropped' is called by native function 'engine_open', and '_slots.Drop(slot)' calls the user's implementation of 'ISlotTable.Drop' outside a catch-all: an exception the user's code throws there terminates the process");

        // The engine keeps its slots in a table it makes itself; dropping a slot that is not there does nothing.
        [Fact]
        public Task AFieldOnlyTheLibraryFillsRunsTheLibrarysClass() => Check(@"
public sealed class Engine
{
    private readonly ISlotTable _slots;
    private readonly SlotDropped _dropped;
    private readonly IntPtr _native;

    public Engine()
    {
        _slots = new SlotTable();
        _dropped = OnDropped;
        _native = Native.engine_open(_dropped);
    }

    private void OnDropped(int slot) => Forget(slot);

    private void Forget(int slot) => _slots.Drop(slot);
}");

        // The same through an initializer and the class's own virtual member, overridden by nothing the user can make.
        [Fact]
        public Task AnInitializedFieldOfAnUnsealedClassRunsItsMember() => Check(@"
public class Journal
{
    public virtual void Note(int slot) { }
}
public sealed class Engine
{
    private Journal _journal = new Journal();
    private readonly SlotDropped _dropped;

    public Engine() { _dropped = OnDropped; Native.engine_open(_dropped); }

    private void OnDropped(int slot) => _journal.Note(slot);
}");

        // The library's own class throws for an unknown slot: that is the callback's own exception.
        [Fact]
        public Task TheLibrarysClassThatThrowsIsTheCallbacksOwnException() => Check(@"
public sealed class Engine
{
    private readonly ISlotTable _slots = new StrictSlotTable();
    private readonly SlotDropped _dropped;

    public Engine() { _dropped = OnDropped; Native.engine_open(_dropped); }

    private void {|#0:OnDropped|}(int slot) => _slots.Drop(slot);
}",
            At("IG5001").WithMessage("Callback 'OnDropped' is called by native function 'engine_open', and '_slots.Drop(slot)' may throw outside a catch-all: an exception escaping to native code terminates the process"));

        // A public constructor lets the user hand in a table of their own: the call may run the user's code.
        [Fact]
        public Task AFieldTheUserCanFillIsTheUsersImplementation() => Check(@"
public sealed class Engine
{
    private readonly ISlotTable _slots;
    private readonly SlotDropped _dropped;

    public Engine() : this(new SlotTable()) { }

    public Engine(ISlotTable slots) { _slots = slots; _dropped = OnDropped; Native.engine_open(_dropped); }

    private void {|#0:OnDropped|}(int slot) => _slots.Drop(slot);
}",
            UsersDrop);

        // Two of the library's classes may be held: which one runs is not one answer, so the call stays the user's.
        [Fact]
        public Task AFieldGivenTwoClassesIsNotRead() => Check(@"
public sealed class Engine
{
    private readonly ISlotTable _slots;
    private readonly SlotDropped _dropped;

    public Engine(bool strict)
    {
        _slots = strict ? (ISlotTable)new StrictSlotTable() : new SlotTable();
        _dropped = OnDropped;
        Native.engine_open(_dropped);
    }

    private void {|#0:OnDropped|}(int slot) => _slots.Drop(slot);
}",
            UsersDrop);
    }
}
