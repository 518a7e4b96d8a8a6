using System.Threading.Tasks;
using InteropGuard.Rules;
using Xunit;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 in a protected method of a public class that no class outside the compilation can derive from and make (an
    /// <c>internal abstract</c> member, or no visible constructor; every derived class of the compilation sealed), whose
    /// every caller reads the object after: only this compilation's code can call it, as for an internal method. Reported
    /// where a class outside may derive (no hidden member, or a derived class that overrides it and is open again), and for
    /// a protected static method, which a class outside may call from an abstract class of its own without an object.
    /// </summary>
    public class HandleOwnerClosedClassTests
    {
        [Fact]
        public Task AProtectedMethodOfAClosedClassIsReadThroughItsCallers() => HandleOwnerLifetimeTests.Check(@"
public abstract class Sensor
{
    private IntPtr _raw = (IntPtr)1;
    ~Sensor() { }
    internal abstract int Kind { get; }
    protected void Calibrate() => Native.draw(_raw, 1);
    public void Start() { Calibrate(); GC.KeepAlive(this); }
}
public sealed class Thermometer : Sensor
{
    internal override int Kind => 1;
    public void Reset() { Calibrate(); Console.WriteLine(Kind); }
}
public class Dial
{
    private IntPtr _raw = (IntPtr)1;
    internal Dial() { }
    ~Dial() { }
    protected void Turn() => Native.draw(_raw, 2);
    public void Spin() { Turn(); GC.KeepAlive(this); }
}");

        [Fact]
        public Task AClassOutsideMayDeriveFromIsReported() => HandleOwnerLifetimeTests.Check(@"
public abstract class Gauge
{
    private IntPtr _raw = (IntPtr)1;
    ~Gauge() { }
    protected void Zero() => Native.draw({|#0:_raw|}, 1);
    public void Start() { Zero(); GC.KeepAlive(this); }
}
public abstract class Scale
{
    private IntPtr _raw = (IntPtr)1;
    ~Scale() { }
    internal abstract int Kind { get; }
    protected void Tare() => Native.draw({|#1:_raw|}, 2);
    public void Start() { Tare(); GC.KeepAlive(this); }
}
public class KitchenScale : Scale
{
    internal override int Kind => 1;
}
public abstract class Clock
{
    private IntPtr _raw = (IntPtr)1;
    ~Clock() { }
    internal abstract int Kind { get; }
    protected IntPtr Raw => _raw;
    protected static void Stamp(Clock clock) => Native.draw({|#2:clock.Raw|}, 3);
    public void Start() { Stamp(this); GC.KeepAlive(this); }
}",
            HandleOwnerLifetimeTests.Finding(0, "this", "_raw", "Native.draw"),
            HandleOwnerLifetimeTests.Finding(1, "this", "_raw", "Native.draw"),
            HandleOwnerLifetimeTests.Finding(2, "clock", "clock.Raw", "Native.draw"));
    }
}
