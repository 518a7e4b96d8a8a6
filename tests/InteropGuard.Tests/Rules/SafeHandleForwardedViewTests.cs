using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3005: a SafeHandle made with a constant <c>false</c> that its constructor hands down the chain as
    /// <c>SafeHandle</c>'s <c>ownsHandle</c>, under whatever parameter name, owns nothing: a view of a handle someone
    /// else closes, which disposing would not close. A member that returns such a view is no source of handles to
    /// dispose either. The owning creation of the same type, and a constant given to a parameter that is not the
    /// ownership, are still reported.
    /// </summary>
    public class SafeHandleForwardedViewTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

class ObjectHandle : SafeHandle
{
    public ObjectHandle() : base(IntPtr.Zero, true) { }

    public ObjectHandle(IntPtr value, bool owns_value) : base(IntPtr.Zero, owns_value)
    {
        SetHandle(value);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => Native.close_object(handle) == 0;

    public ObjectHandle Borrowed => new ObjectHandle(handle, false);
}

sealed class EventHandle : ObjectHandle
{
    public EventHandle(IntPtr value, bool take) : base(value, take) { }
}

sealed class TracedHandle : SafeHandle
{
    public TracedHandle(IntPtr value, bool trace) : base(IntPtr.Zero, true)
    {
        SetHandle(value);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => Native.close_object(handle) == 0;
}

static class Native
{
    [DllImport(""mylib"")] public static extern int close_object(IntPtr handle);
    [DllImport(""mylib"")] public static extern int query(ObjectHandle handle);
    [DllImport(""mylib"")] public static extern int query_traced(TracedHandle handle);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task ViewsMadeWithAForwardedFalseOwnNothing() => Check(@"
static class Use
{
    static int Query(IntPtr raw) => Native.query(new ObjectHandle(raw, false));

    static int QueryEvent(IntPtr raw) => Native.query(new EventHandle(raw, false));

    static int QueryBorrowed(ObjectHandle owner) => Native.query(owner.Borrowed);
}");

        [Fact]
        public Task OwningCreationsAndAFalseThatIsNotOwnershipAreReported() => Check(@"
static class Use
{
    static int Query(IntPtr raw) => Native.query({|#0:new ObjectHandle(raw, true)|});

    static int QueryEvent(IntPtr raw) => Native.query({|#1:new EventHandle(raw, true)|});

    static int QueryTraced(IntPtr raw) => Native.query_traced({|#2:new TracedHandle(raw, false)|});
}",
            Verify.Diagnostic("IG3005").WithLocation(0),
            Verify.Diagnostic("IG3005").WithLocation(1),
            Verify.Diagnostic("IG3005").WithLocation(2));
    }
}
