using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using Xunit;
using InteropGuard.Rules;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 on 'this' while the object is being built: reported where a creation of the class in sight drops the new
    /// object, silent where every creation in sight keeps it (the creating frame holds it across the constructor) and where
    /// no creation can be read (code outside the compilation, a type parameter): code that builds an object nearly always
    /// uses it.
    /// </summary>
    public class HandleOwnerUnderConstructionTests
    {
        // A wrapper whose constructor hands its handle to native code, itself and through a private method only it calls.
        private const string Session = @"
sealed class Session
{
    private IntPtr _handle = (IntPtr)1;
    public Session() { Native.draw(_handle, 0); Open(); }
    public Session(int mode) : this() { }
    private void Open()
    {
        Native.draw({|#0:_handle|}, 1);
    }
    public void Start() { }
    ~Session() { }
}
";

        // Helpers of this file, not HandleOwnerLifetimeTests.Check: the robustness harvest wraps a literal argument in the
        // constants a helper of the literal's own file puts around it, so each test's program compiles as harvested.
        private static Task Check(string source, params DiagnosticResult[] expected) => Run(HandleOwnerLifetimeTests.Prelude + source, expected);

        private static Task CheckWithSession(string source, params DiagnosticResult[] expected) => Run(HandleOwnerLifetimeTests.Prelude + Session + source, expected);

        private static Task Run(string program, DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<HandleOwnerLifetimeAnalyzer> { Source = program };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // The constructor's own call is left out before any reading, as constructors always were (the creation index would
        // cost every compilation whose constructors pass a handle); the private method only it calls is read.
        private static readonly DiagnosticResult[] BothFindings = { Finding(0, "this", "_handle", "Native.draw") };

        [Fact]
        public Task EveryCreationKeepsTheObject() => CheckWithSession(@"
class Device
{
    private Session _session;
    private Session[] _all = new Session[1];
    void Open()
    {
        _session = new Session();
        _all[0] = new Session(1);
        using var scope = new Scope();
        var local = new Session();
        local.Start();
        Keep(new Session());
        new Session().Start();
        Session kept;
        kept = new Session(2);
        Keep(kept);
    }
    static Session Make() => new Session();
    static void Keep(Session s) { }
}
sealed class Scope : IDisposable { public void Dispose() { } }");

        [Fact]
        public Task ACreationDroppingTheObject() => CheckWithSession(@"
class Device
{
    void Open()
    {
        var kept = new Session();
        kept.Start();
        new Session();
    }
}", BothFindings);

        [Fact]
        public Task ACreationIntoADiscard() => CheckWithSession(@"
class Device
{
    private Session _session = new Session();
    void Open()
    {
        _ = new Session();
    }
}", BothFindings);

        [Fact]
        public Task ACreationIntoALocalNeverRead() => CheckWithSession(@"
class Device
{
    private Session _session = new Session();
    void Open()
    {
        var unused = new Session(1);
    }
}", BothFindings);

        [Fact]
        public Task ALocalGivenAnotherValueBeforeItsRead() => CheckWithSession(@"
class Device
{
    void Open(Session other)
    {
        var s = new Session();
        s = other;
        s.Start();
    }
}", BothFindings);

        // A drop must be in sight: a local given another value only after its read, or first used in a branch or through
        // 'ref', still holds the new object when the constructor runs (a read on one path keeps it live at the call).
        [Fact]
        public Task ALocalGivenAnotherValueAfterItsRead() => CheckWithSession(@"
class Device
{
    void Open(Session other)
    {
        var s = new Session();
        s.Start();
        s = other;
    }
}");

        [Fact]
        public Task ALocalFirstUsedInABranch() => CheckWithSession(@"
class Device
{
    void Open(Session other, bool fresh)
    {
        var s = new Session();
        if (fresh)
            s = other;
        else
            s.Start();
    }
}");

        [Fact]
        public Task ALocalFirstPassedByRef() => CheckWithSession(@"
class Device
{
    void Open()
    {
        var s = new Session();
        Keep(ref s);
    }
    static void Keep(ref Session s) { s.Start(); }
}");

        [Fact]
        public Task AVoidLambdaDroppingTheObject() => CheckWithSession(@"
class Device
{
    void Open()
    {
        Action open = () => new Session();
        open();
    }
}", BothFindings);

        [Fact]
        public Task AClassCodeOutsideCanCreateWithoutADropInSight() => Check(@"
public sealed class Session
{
    private IntPtr _handle = (IntPtr)1;
    public Session() { Native.draw(_handle, 1); Open(); }
    private void Open()
    {
        Native.draw({|#0:_handle|}, 0);
    }
    ~Session() { }
}
class Device
{
    private Session _session = new Session();
}");

        [Fact]
        public Task APublicClassDroppedInSight() => Check(@"
public sealed class Session
{
    private IntPtr _handle = (IntPtr)1;
    public Session() { Native.draw(_handle, 1); Open(); }
    private void Open()
    {
        Native.draw({|#0:_handle|}, 0);
    }
    ~Session() { }
}
class Device
{
    void Open() { new Session(); }
}", BothFindings);

        [Fact]
        public Task ADerivedClassDroppingItsObject() => Check(@"
class Session
{
    private IntPtr _handle = (IntPtr)1;
    public Session() { Native.draw(_handle, 1); Open(); }
    private void Open()
    {
        Native.draw({|#0:_handle|}, 0);
    }
    ~Session() { }
}
sealed class CameraSession : Session
{
}
class Device
{
    private Session _session = new Session();
    void Open()
    {
        new CameraSession();
    }
}", BothFindings);

        [Fact]
        public Task ACreationThroughATypeParameterSaysNothingOfItsClass() => CheckWithSession(@"
class Device
{
    private Session _session = new Session();
    static void Make<T>() where T : new()
    {
        new T();
    }
}");

        [Fact]
        public Task TheConstructorHandsThisOutAsWell() => Check(@"
sealed class Session
{
    public static Session Last;
    private IntPtr _handle;
    private GCHandle _self;
    public Session() { _handle = (IntPtr)1; Last = this; _self = GCHandle.Alloc(this); Open(); }
    private void Open()
    {
        Native.draw(_handle, 0);
    }
    ~Session() { }
}
class Device
{
    private Session _session = new Session();
}");

        [Fact]
        public Task AConstructorsOwnCallStaysSilent() => Check(@"
public class Session
{
    private IntPtr _handle = (IntPtr)1;
    protected Session()
    {
        Native.draw(_handle, 0);
    }
    ~Session() { }
}
sealed class Camera : Session
{
}
class Device
{
    private Session _session = new Camera();
    void Drop() { new Camera(); }
}");

        [Fact]
        public Task AMethodOtherMembersCallToo() => Check(@"
sealed class Session
{
    private IntPtr _handle;
    public Session() { _handle = (IntPtr)1; Open(); }
    public void Reopen() { Open(); }
    private void Open()
    {
        Native.draw({|#0:_handle|}, 0);
    }
    ~Session() { }
}
class Device
{
    private Session _session = new Session();
}", Finding(0, "this", "_handle", "Native.draw"));
    }
}
