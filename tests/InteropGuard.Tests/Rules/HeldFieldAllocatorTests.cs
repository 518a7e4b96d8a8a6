using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 on librdkafka's lists and events reached the way confluent-kafka-dotnet reaches them: a static wrapper
    /// <c>queue_poll(...) =&gt; _queue_poll(...)</c> over a private delegate field the binding fills by reflection (or with a
    /// method group) from the P/Invoke of that name, and a helper that builds a list through the wrapper and returns it
    /// (the leaks fixed in d87acd01 and 818380bb). Silent when the release goes through the matching wrapper, and when the
    /// field could hold managed code.
    /// </summary>
    public class HeldFieldAllocatorTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
class NativeMethods
{
    [DllImport(""librdkafka"")] public static extern IntPtr rd_kafka_topic_partition_list_new(IntPtr size);
    [DllImport(""librdkafka"")] public static extern void rd_kafka_topic_partition_list_destroy(IntPtr list);
    [DllImport(""librdkafka"")] public static extern IntPtr rd_kafka_topic_partition_list_add(IntPtr list, string topic, int partition);
    [DllImport(""librdkafka"")] public static extern int rd_kafka_commit(IntPtr rk, IntPtr offsets, int async);
    [DllImport(""librdkafka"")] public static extern IntPtr rd_kafka_queue_poll(IntPtr queue, IntPtr timeout);
    [DllImport(""librdkafka"")] public static extern void rd_kafka_event_destroy(IntPtr ev);
    [DllImport(""librdkafka"")] public static extern int rd_kafka_event_type(IntPtr ev);
}
class NativeMethods_Musl
{
    [DllImport(""musl-librdkafka.so"")] public static extern IntPtr rd_kafka_topic_partition_list_new(IntPtr size);
    [DllImport(""musl-librdkafka.so"")] public static extern IntPtr rd_kafka_queue_poll(IntPtr queue, IntPtr timeout);
}
static class Kafka
{
    private static Func<IntPtr, IntPtr> _topic_partition_list_new = null!;
    private static Action<IntPtr> _topic_partition_list_destroy = null!;
    private static Func<IntPtr, string, int, IntPtr> _topic_partition_list_add = null!;
    private static Func<IntPtr, IntPtr, int, int> _commit = null!;
    private static Func<IntPtr, IntPtr, IntPtr> _queue_poll = null!;
    private static Action<IntPtr> _event_destroy = NativeMethods.rd_kafka_event_destroy;
    private static Func<IntPtr, int> _event_type = NativeMethods.rd_kafka_event_type;

    public static void Load(Type nativeMethods)
    {
        var methods = nativeMethods.GetRuntimeMethods().ToArray();
        _topic_partition_list_new = (Func<IntPtr, IntPtr>)methods.Single(m => m.Name == ""rd_kafka_topic_partition_list_new"").CreateDelegate(typeof(Func<IntPtr, IntPtr>));
        _topic_partition_list_destroy = (Action<IntPtr>)methods.Single(m => m.Name == ""rd_kafka_topic_partition_list_destroy"").CreateDelegate(typeof(Action<IntPtr>));
        _topic_partition_list_add = (Func<IntPtr, string, int, IntPtr>)methods.Single(m => m.Name == ""rd_kafka_topic_partition_list_add"").CreateDelegate(typeof(Func<IntPtr, string, int, IntPtr>));
        _commit = (Func<IntPtr, IntPtr, int, int>)methods.Single(m => m.Name == ""rd_kafka_commit"").CreateDelegate(typeof(Func<IntPtr, IntPtr, int, int>));
        _queue_poll = (Func<IntPtr, IntPtr, IntPtr>)methods.Single(m => m.Name == ""rd_kafka_queue_poll"").CreateDelegate(typeof(Func<IntPtr, IntPtr, IntPtr>));
    }

    internal static IntPtr topic_partition_list_new(IntPtr size) => _topic_partition_list_new(size);
    internal static void topic_partition_list_destroy(IntPtr list) => _topic_partition_list_destroy(list);
    internal static IntPtr topic_partition_list_add(IntPtr list, string topic, int partition) => _topic_partition_list_add(list, topic, partition);
    internal static int commit(IntPtr rk, IntPtr offsets, bool async) => _commit(rk, offsets, async ? 1 : 0);
    internal static IntPtr queue_poll(IntPtr queue, int timeoutMs) => _queue_poll(queue, (IntPtr)timeoutMs);
    internal static void event_destroy(IntPtr ev) => _event_destroy(ev);
    internal static int event_type(IntPtr ev) => _event_type(ev);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private const string ListBuilder = @"
public sealed class Consumer
{
    private IntPtr _rk;

    // Builds the C list the way the binding does; the caller owns it.
    internal static IntPtr ToCList(IList<string> topics)
    {
        IntPtr list = Kafka.topic_partition_list_new((IntPtr)topics.Count);
        for (int i = 0; i < topics.Count; i++)
        {
            Kafka.topic_partition_list_add(list, topics[i], -1);
        }
        return list;
    }
";

        [Fact]
        public Task ListFromAHelperHandedToCommitAndNeverDestroyed() => Check(ListBuilder + @"
    public int Commit(IList<string> topics)
    {
        IntPtr offsets = {|#0:ToCList(topics)|};
        return Kafka.commit(_rk, offsets, false);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Consumer.ToCList' in 'offsets' is not released by 'NativeMethods.rd_kafka_topic_partition_list_destroy' on the 'return Kafka.commit(_rk, offsets, false)'"));

        [Fact]
        public Task ListDestroyedThroughItsWrapperInFinallySaysNothing() => Check(ListBuilder + @"
    public int Commit(IList<string> topics)
    {
        IntPtr offsets = ToCList(topics);
        try
        {
            return Kafka.commit(_rk, offsets, false);
        }
        finally
        {
            Kafka.topic_partition_list_destroy(offsets);
        }
    }
}");

        [Fact]
        public Task EventPolledInALoopAndNeverDestroyed() => Check(@"
public sealed class Admin
{
    public int CountEvents(IntPtr queue, int rounds)
    {
        int seen = 0;
        for (int i = 0; i < rounds; i++)
        {
            IntPtr ev = {|#0:Kafka.queue_poll(queue, 100)|};
            if (ev == IntPtr.Zero)
            {
                continue;
            }
            seen += Kafka.event_type(ev);
        }
        return seen;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Kafka.queue_poll' in 'ev' is not released by 'NativeMethods.rd_kafka_event_destroy' on the 'return seen'"));

        [Fact]
        public Task EventDestroyedThroughAMethodGroupFieldSaysNothing() => Check(@"
public sealed class Admin
{
    public int CountEvents(IntPtr queue, int rounds)
    {
        int seen = 0;
        for (int i = 0; i < rounds; i++)
        {
            IntPtr ev = Kafka.queue_poll(queue, 100);
            if (ev == IntPtr.Zero)
            {
                continue;
            }
            try
            {
                seen += Kafka.event_type(ev);
            }
            finally
            {
                Kafka.event_destroy(ev);
            }
        }
        return seen;
    }
}");

        [Fact]
        public Task WrapperOfTheSameNameOverAFieldManagedCodeCanFillSaysNothing() => Check(@"
static class Fake
{
    private static Func<IntPtr, IntPtr, IntPtr> _queue_poll = (queue, timeout) => IntPtr.Zero;
    internal static IntPtr queue_poll(IntPtr queue, int timeoutMs) => _queue_poll(queue, (IntPtr)timeoutMs);
}
public sealed class Admin
{
    public int Next(IntPtr queue)
    {
        IntPtr ev = Fake.queue_poll(queue, 100);
        return ev == IntPtr.Zero ? 0 : 1;
    }
}");
    }
}
