using System.Threading.Tasks;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on callbacks that hand their work to the thread pool or keep a weak record of what native code gave back
    /// (FoundationDB's future callbacks and the Azure Kinect allocator's free hook, fresh35): queueing a delegate fails only
    /// on a null delegate, so one made on the spot or held in a <c>static readonly</c> field its declaration fills cannot
    /// fail; a weak reference validates nothing; a sorted dictionary keyed by a number refuses no key. Beside each, the shape
    /// that can still throw: a delegate in a field any method may null, one a static constructor may leave null, and a sorted
    /// dictionary keyed by a struct its default comparer cannot order.
    /// </summary>
    public class NativeCallbackQueuedWorkTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

sealed class Job
{
    public void Complete() { }
}

struct Slot
{
    public int Index;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected) => CallbackExceptionExpectations.Check(Prelude + source, expected);

        [Fact]
        public Task QueueingALambdaOrADeclaredStaticReadonlyDelegateCannotFail() => Check(@"
static class Completions
{
    static readonly WaitCallback Finish = state => ((Job)state!).Complete();

    static readonly Dictionary<long, Job> Waiting = new Dictionary<long, Job>();

    [UnmanagedCallersOnly]
    static void OnReady(long key)
    {
        if (Waiting.TryGetValue(key, out var job))
            ThreadPool.UnsafeQueueUserWorkItem(static state => ((Job)state!).Complete(), job);
    }

    [UnmanagedCallersOnly]
    static void OnDone(long key)
    {
        if (Waiting.TryGetValue(key, out var job))
            ThreadPool.QueueUserWorkItem(Finish, job);
    }
}");

        [Fact]
        public Task QueueingADelegateFromAFieldAnyMethodMayNullIsReported() => Check(@"
static class Completions
{
    static WaitCallback Replaceable = state => ((Job)state!).Complete();

    static readonly Dictionary<long, Job> Waiting = new Dictionary<long, Job>();

    public static void Stop() => Replaceable = null!;

    [UnmanagedCallersOnly]
    static void {|#0:OnReady|}(long key)
    {
        if (Waiting.TryGetValue(key, out var job))
            ThreadPool.UnsafeQueueUserWorkItem(Replaceable, job);
    }
}", CallbackExceptionExpectations.Unmanaged("OnReady", "ThreadPool.UnsafeQueueUserWorkItem(Replaceable, job)"));

        [Fact]
        public Task QueueingADelegateAStaticConstructorMayLeaveNullIsReported() => Check(@"
static class Completions
{
    static readonly WaitCallback Maybe;

    static Completions()
    {
        if (Environment.ProcessorCount > 1) Maybe = state => ((Job)state!).Complete();
    }

    static readonly Dictionary<long, Job> Waiting = new Dictionary<long, Job>();

    [UnmanagedCallersOnly]
    static void {|#0:OnDone|}(long key)
    {
        if (Waiting.TryGetValue(key, out var job))
            ThreadPool.QueueUserWorkItem(Maybe, job);
    }
}", CallbackExceptionExpectations.Unmanaged("OnDone", "ThreadPool.QueueUserWorkItem(Maybe, job)"));

        [Fact]
        public Task ForgettingABlockByANumberAndKeepingAWeakRecordCannotFail() => Check(@"
static class Blocks
{
    static readonly SortedDictionary<long, byte[]> Live = new SortedDictionary<long, byte[]>();
    static readonly List<WeakReference> Recycled = new List<WeakReference>();

    [UnmanagedCallersOnly]
    static void OnFree(IntPtr block)
    {
        if (Live.TryGetValue((long)block, out var buffer))
        {
            Live.Remove((long)block);
            Recycled.Add(new WeakReference(buffer));
        }
    }
}");

        [Fact]
        public Task ForgettingABlockByAStructTheComparerCannotOrderIsReported() => Check(@"
static class Blocks
{
    static readonly SortedDictionary<Slot, byte[]> Live = new SortedDictionary<Slot, byte[]>();

    [UnmanagedCallersOnly]
    static void {|#0:OnFree|}(int index)
    {
        Live.Remove(new Slot { Index = index });
    }
}", CallbackExceptionExpectations.Unmanaged("OnFree", "Live.Remove(new Slot { Index = index })"));
    }
}
