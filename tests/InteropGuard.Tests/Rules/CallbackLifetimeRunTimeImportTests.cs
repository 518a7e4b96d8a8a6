using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002 through an abstract class whose methods a loader implements at run time, without the
    /// <c>interopguard.native_declaring_types</c> option: a method that nothing in the compilation implements and that
    /// bears the exact name of an export the catalogue knows by its library's prefix is that export (rocksdb-sharp's
    /// comparator, fixed in a37c36b by keeping the three delegates in an object the options hold).
    /// </summary>
    public class CallbackLifetimeRunTimeImportTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate void Destroy(IntPtr state);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int Compare(IntPtr state, IntPtr a, UIntPtr alen, IntPtr b, UIntPtr blen);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate IntPtr Name(IntPtr state);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int Busy(IntPtr state, int count);
public abstract class Native
{
    public static Native Instance;
    public abstract IntPtr rocksdb_comparator_create(IntPtr state, Destroy destructor, Compare compare, Name name);
    public abstract int sqlite3_busy_handler(IntPtr db, Busy handler, IntPtr state);
    public abstract IntPtr rocksdb_options_set_compare_callback(IntPtr state, Destroy destructor, Compare compare, Name name);
    public abstract IntPtr SetWindowsHookEx(int id, Compare hook, IntPtr module, uint thread);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
            => CollectedDelegateFindings.Check<CallbackLifetimeAnalyzer>(Prelude + source, expected);

        private static DiagnosticResult Finding(int location, string message)
            => CollectedDelegateFindings.Finding(location, message);

        private const string Comparer = @"
public sealed class Options
{
    private readonly Func<int> _order;
    public Options(Func<int> order) { _order = order; }
    private int OnCompare(IntPtr state, IntPtr a, UIntPtr alen, IntPtr b, UIntPtr blen) => _order();
    private void OnDestroy(IntPtr state) { }
    private IntPtr OnName(IntPtr state) => state;
";

        [Fact]
        public Task MethodGroupsGivenToACataloguedExportOfAnAbstractClassAreReported() => Check(Comparer + @"
    public IntPtr SetComparator(IntPtr state)
        => Native.Instance.rocksdb_comparator_create(state, {|#0:OnDestroy|}, {|#1:OnCompare|}, {|#2:OnName|});
}",
            Finding(0, "Delegate 'OnDestroy' is registered with 'Native.rocksdb_comparator_create'"),
            Finding(1, "Delegate 'OnCompare' is registered with 'Native.rocksdb_comparator_create'"),
            Finding(2, "Delegate 'OnName' is registered with 'Native.rocksdb_comparator_create'"));

        [Fact]
        public Task ALambdaGivenToAnotherLibrarysCataloguedExportIsReported() => Check(@"
public sealed class Connection
{
    private int _retries;
    public int WaitWhenBusy(IntPtr db)
    {
        Busy busy = (state, count) => count < _retries ? 1 : 0;
        return Native.Instance.sqlite3_busy_handler(db, {|#0:busy|}, IntPtr.Zero);
    }
}",
            Finding(0, "Delegate 'busy' is registered with 'Native.sqlite3_busy_handler'"));

        [Fact]
        public Task DelegatesTheObjectKeepsAreSilent() => Check(Comparer + @"
    private Compare _compare;
    private Destroy _destroy;
    private Name _name;
    public IntPtr SetComparator(IntPtr state)
    {
        _compare = OnCompare;
        _destroy = OnDestroy;
        _name = OnName;
        return Native.Instance.rocksdb_comparator_create(state, _destroy, _compare, _name);
    }
}");

        [Fact]
        public Task AMethodTheCompilationImplementsIsSilent() => Check(Comparer + @"
    public IntPtr SetComparator(IntPtr state)
        => Native.Instance.rocksdb_comparator_create(state, OnDestroy, OnCompare, OnName);
}
public sealed class ManagedNative : Native
{
    public override IntPtr rocksdb_comparator_create(IntPtr state, Destroy destructor, Compare compare, Name name) => IntPtr.Zero;
    public override int sqlite3_busy_handler(IntPtr db, Busy handler, IntPtr state) => 0;
    public override IntPtr rocksdb_options_set_compare_callback(IntPtr state, Destroy destructor, Compare compare, Name name) => IntPtr.Zero;
    public override IntPtr SetWindowsHookEx(int id, Compare hook, IntPtr module, uint thread) => IntPtr.Zero;
}");

        [Fact]
        public Task ARegistrationNameTheCatalogueDoesNotKnowIsSilent() => Check(Comparer + @"
    public IntPtr SetComparator(IntPtr state)
        => Native.Instance.rocksdb_options_set_compare_callback(state, OnDestroy, OnCompare, OnName);
}");

        [Fact]
        public Task ACataloguedNameWithoutALibraryPrefixIsSilent() => Check(Comparer + @"
    public IntPtr Hook(IntPtr module) => Native.Instance.SetWindowsHookEx(13, OnCompare, module, 0);
}");

        [Fact]
        public Task AnInterfaceMemberNamedAfterTheExportIsSilent() => Check(Comparer + @"
    public IntPtr SetComparator(IRocks rocks, IntPtr state)
        => rocks.rocksdb_comparator_create(state, OnDestroy, OnCompare, OnName);
}
public interface IRocks
{
    IntPtr rocksdb_comparator_create(IntPtr state, Destroy destructor, Compare compare, Name name);
}");
    }
}
