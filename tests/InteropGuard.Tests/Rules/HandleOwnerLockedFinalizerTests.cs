using System.Threading.Tasks;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 and a sealed class whose every native call on its device runs under <c>lock (_gate)</c>, a readonly field, and
    /// whose finalizer closes the device under the same lock: once <c>this</c> is unreachable during a call the finalizer
    /// may start, but it waits for the lock the calling thread holds until the call returns, so the close cannot overlap the
    /// call. Silent for that; reported where the finalizer takes another lock, closes before it takes the lock, or the
    /// call runs outside the lock.
    /// </summary>
    public class HandleOwnerLockedFinalizerTests
    {
        private const string Sensor = @"
static class SensorLib
{
    [DllImport(""sensor"")] public static extern void sensor_close(IntPtr device);
}
sealed class Sensor
{
    private readonly object _gate = new object();
    private readonly object _otherGate = new object();
    private IntPtr _device;

    public int Sample()
    {
        lock (_gate)
        {
            int value = Native.draw(SAMPLED, 1);
            return value;
        }
    }

    public int Peek()
    {
        int value = Native.draw({|#1:_device|}, 2);
        return value;
    }

    ~Sensor()
    {
        Close(false);
    }

    private void Close(bool disposing)
    {
        CLOSE
    }
}";

        private static Task CheckSensor(string sampled, string close, params Verification.DiagnosticResult[] expected)
            => Check(Sensor.Replace("SAMPLED", sampled).Replace("CLOSE", close), expected);

        private static Verification.DiagnosticResult Unlocked(int location) => Finding(location, "this", "_device", "Native.draw");

        [Fact]
        public Task ACallUnderTheLockTheFinalizerWaitsForIsSilent() => CheckSensor("_device", @"
        lock (_gate)
        {
            SensorLib.sensor_close(_device);
            _device = IntPtr.Zero;
        }", Unlocked(1));

        [Fact]
        public Task AFinalizerUnderAnotherLockIsStillReported() => CheckSensor("{|#0:_device|}", @"
        lock (_otherGate)
        {
            SensorLib.sensor_close(_device);
            _device = IntPtr.Zero;
        }", Unlocked(0), Unlocked(1));

        [Fact]
        public Task AFinalizerThatClosesBeforeItLocksIsStillReported() => CheckSensor("{|#0:_device|}", @"
        SensorLib.sensor_close(_device);
        lock (_gate)
        {
            _device = IntPtr.Zero;
        }", Unlocked(0), Unlocked(1));
    }
}
