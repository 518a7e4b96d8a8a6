using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Xunit;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3005 and handles whose ownership moves on: a handle given to a constructor that keeps it down a chain longer than
    /// the wrapper summaries follow (four constructors and a method, as NtCoreLib's object classes have), a handle given
    /// to <c>RegistryKey.FromHandle</c>, and an out handle a call filled only when its status enum says success. The
    /// look-alikes — a chain that only reads the handle, one that stores it on some paths, into a static or into another
    /// object, and a status enum whose zero is not named success — are still reported.
    /// </summary>
    public class SafeHandleKeptByNewOwnerTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

enum Status : uint { Success = 0, Denied = 5, NoMore = 259 }
enum Phase { Started = 0, Finished = 1 }

sealed class KernelHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public KernelHandle() : base(true) { }
    public KernelHandle(IntPtr raw, bool owns) : base(owns) { SetHandle(raw); }
    protected override bool ReleaseHandle() => Native.close(handle) == 0;
}

static class Native
{
    [DllImport(""kern"")] public static extern Status open_event(string name, out KernelHandle handle);
    [DllImport(""kern"")] public static extern Status next_event(KernelHandle after, out KernelHandle handle);
    [DllImport(""kern"")] public static extern Phase open_timer(string name, out KernelHandle handle);
    [DllImport(""kern"")] public static extern int describe(KernelHandle handle);
    [DllImport(""kern"")] public static extern int close(IntPtr handle);
}

class Registry
{
    public KernelHandle Held;
}

abstract class KernelObject
{
    protected KernelObject(KernelHandle handle)
    {
        Attach(handle);
    }

    public KernelHandle Handle { get; private set; }

    internal void Attach(KernelHandle handle)
    {
        Handle = handle;
        Native.describe(handle);
    }
}

abstract class Waitable : KernelObject { protected Waitable(KernelHandle handle) : base(handle) { } }
abstract class Signalling : Waitable { protected Signalling(KernelHandle handle) : base(handle) { } }
sealed class KernelEvent : Signalling { internal KernelEvent(KernelHandle handle) : base(handle) { } }

sealed class EventPair
{
    internal EventPair(KernelHandle first, KernelHandle second)
    {
        First = new KernelEvent(first);
        Second = new KernelEvent(second);
    }

    public KernelEvent First { get; }
    public KernelEvent Second { get; }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // A root of the chain that does something else with the handle, in place of Attach(handle).
        private const string Probe = @"
abstract class Probed
{
    protected Probed(KernelHandle handle, bool keep)
    {
        BODY
    }

    public static KernelHandle Last;
    public KernelHandle Handle { get; private set; }
}

abstract class ProbedOne : Probed { protected ProbedOne(KernelHandle handle) : base(handle, true) { } }
abstract class ProbedTwo : ProbedOne { protected ProbedTwo(KernelHandle handle) : base(handle) { } }
sealed class ProbedEvent : ProbedTwo { internal ProbedEvent(KernelHandle handle) : base(handle) { } }

static class Events
{
    public static ProbedEvent Open(string name)
    {
        Native.open_event(name, {|#0:out KernelHandle handle|});
        return new ProbedEvent(handle);
    }
}";

        private static DiagnosticResult ProbedFinding() => Verify.Diagnostic("IG3005").WithLocation(0).WithMessage(
            "SafeHandle 'handle' from 'Native.open_event' is not disposed on the 'return new ProbedEvent(handle)'; the native handle stays open until the finalizer runs");

        [Fact]
        public Task AHandleGivenToAConstructorThatKeepsItDownFourConstructorsAndAMethodMovesToTheNewObject() => Check(@"
static class Events
{
    public static KernelEvent Open(string name)
    {
        Native.open_event(name, out KernelHandle handle);
        return new KernelEvent(handle);
    }
}");

        [Fact]
        public Task HandlesKeptByObjectsAResultKeepsInItsPropertiesMoveToTheResult() => Check(@"
static class Events
{
    public static EventPair OpenPair(string first, string second)
    {
        Native.open_event(first, out KernelHandle one);
        Native.open_event(second, out KernelHandle two);
        return new EventPair(one, two);
    }
}");

        [Fact]
        public Task AHandleGivenToAFactoryThatReturnsSuchAnObjectMovesToIt() => Check(@"
static class Events
{
    static KernelEvent Wrap(KernelHandle handle) => new KernelEvent(handle);

    public static KernelEvent Open(string name)
    {
        Native.open_event(name, out KernelHandle handle);
        return Wrap(handle);
    }
}");

        [Fact]
        public Task AConstructorChainThatOnlyReadsTheHandleKeepsNothing()
            => Check(Probe.Replace("BODY", "Native.describe(handle);"), ProbedFinding());

        [Fact]
        public Task AConstructorChainThatStoresTheHandleOnSomePathsIsStillReported()
            => Check(Probe.Replace("BODY", "if (keep) { Handle = handle; }"), ProbedFinding());

        [Fact]
        public Task AConstructorChainThatStoresTheHandleInAStaticIsStillReported()
            => Check(Probe.Replace("BODY", "Last = handle;"), ProbedFinding());

        [Fact]
        public Task AConstructorChainThatStoresTheHandleInAnotherObjectIsStillReported()
            => Check(Probe.Replace("BODY", "new Registry().Held = handle;"), ProbedFinding());

        [Fact]
        public Task AnOutHandleLeftOnlyWhereTheStatusEnumSaysFailureIsNotOwed() => Check(@"
static class Events
{
    public static List<KernelEvent> All(KernelHandle start)
    {
        var found = new List<KernelEvent>();
        Status status = Native.next_event(start, out KernelHandle current);
        while (status == Status.Success)
        {
            found.Add(new KernelEvent(current));
            status = Native.next_event(current, out current);
        }

        return found;
    }

    public static Status Describe(string name)
    {
        Status status = Native.open_event(name, out KernelHandle handle);
        if (status != Status.Success)
        {
            return status;
        }

        using (handle)
        {
            Native.describe(handle);
        }

        return Status.Success;
    }
}");

        [Fact]
        public Task AStatusEnumWhoseZeroIsNotNamedSuccessSaysNothingOfFailure() => Check(@"
static class Timers
{
    public static Phase Describe(string name)
    {
        Phase phase = Native.open_timer(name, {|#0:out KernelHandle handle|});
        if (phase != Phase.Started)
        {
            return phase;
        }

        using (handle)
        {
            Native.describe(handle);
        }

        return Phase.Started;
    }
}", Verify.Diagnostic("IG3005").WithLocation(0).WithMessage(
            "SafeHandle 'handle' from 'Native.open_timer' is not disposed on the 'return phase' in 'if (phase != Phase.Started)'; the native handle stays open until the finalizer runs"));

        [Fact]
        public Task AHandleGivenToRegistryKeyFromHandleIsTheKeysToClose() => Check(@"
static class Keys
{
    public static Microsoft.Win32.RegistryKey Wrap(IntPtr raw)
        => Microsoft.Win32.RegistryKey.FromHandle(new SafeRegistryHandle(raw, true));
}");
    }
}
