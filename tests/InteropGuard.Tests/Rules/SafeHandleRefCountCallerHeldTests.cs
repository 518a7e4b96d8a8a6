using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3006 (a) on a handle the function was given (Flow/CallerHeldHandles): a wrapper only this compilation can call,
    /// whose every call passes a handle the caller owns across the call (a using local, an unshared local read afterwards,
    /// or a parameter its own callers hold), reads the raw value while nobody else can dispose the handle. A public wrapper,
    /// one used as a method group, one called with a field of an object others reach, a fresh temporary, or a handle a
    /// caller hands on before the call stays reported.
    /// </summary>
    public class SafeHandleRefCountCallerHeldTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern int native_read(IntPtr handle);
    [DllImport(""sample"")] public static extern void native_close(IntPtr handle);
    [DllImport(""sample"")] public static extern Blob native_open(string path);
}

public sealed class Blob : SafeHandle
{
    public Blob() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.native_close(handle);
        return true;
    }
}

static class Kept
{
    public static readonly List<Blob> All = new List<Blob>();
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<SafeHandleRefCountAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Passed(int location, string handle)
            => Verify.Diagnostic("IG3006").WithLocation(location).WithMessage(
                "'" + handle + ".DangerousGetHandle()' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: another thread may dispose '"
                + handle + "' during 'native_read'; the released handle value can be reused");

        [Fact]
        public Task AnInternalWrapperWhoseCallersAllDisposeTheirHandleWithUsingIsSilent() => Check(@"
static class Shim
{
    internal static int Read(Blob blob) => Native.native_read(blob.DangerousGetHandle());
}

class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        if (opened.IsInvalid)
        {
            return -1;
        }

        return Shim.Read(opened);
    }

    int Second(string path)
    {
        using (Blob opened = Native.native_open(path))
        {
            var a = Shim.Read(opened);
            return a + Shim.Read(opened);
        }
    }
}");

        // 'opened.Read()' binds to the extension method's reduced form: its callers are found all the same (MethodCallers).
        [Fact]
        public Task AnExtensionWrapperCalledOnUsingLocalsIsSilent() => Check(@"
static class Shim
{
    internal static int Read(this Blob blob) => Native.native_read(blob.DangerousGetHandle());
}

class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        return opened.Read();
    }

    int Second(string path)
    {
        using (var opened = Native.native_open(path))
        {
            return opened.Read() + opened.Read();
        }
    }
}");

        [Fact]
        public Task AnExtensionWrapperOneOfWhoseCallsPassesAPublicCallersHandleIsReported() => Check(@"
static class Shim
{
    internal static int Read(this Blob blob) => Native.native_read({|#0:blob.DangerousGetHandle()|});
}

public class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        return Shim.Read(opened);
    }

    public int Peek(Blob given) => given.Read();
}", Passed(0, "blob"));

        [Fact]
        public Task TheSameWrapperGivenAFieldOfAPublicClassIsReported() => Check(@"
static class Shim
{
    internal static int Read(Blob blob) => Native.native_read({|#0:blob.DangerousGetHandle()|});
}

public class Owner
{
    private readonly Blob _blob = Native.native_open(""x"");

    public int Peek() => Shim.Read(_blob);

    public void Close() => _blob.Dispose();
}

class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        return Shim.Read(opened);
    }
}", Passed(0, "blob"));

        [Fact]
        public Task APublicWrapperIsReported() => Check(@"
public static class Shim
{
    public static int Read(Blob blob) => Native.native_read({|#0:blob.DangerousGetHandle()|});
}

class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        return Shim.Read(opened);
    }
}", Passed(0, "blob"));

        [Fact]
        public Task AWrapperUsedAsAMethodGroupIsReported() => Check(@"
static class Shim
{
    internal static int Read(Blob blob) => Native.native_read({|#0:blob.DangerousGetHandle()|});
}

class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        return Shim.Read(opened);
    }

    Func<Blob, int> Reader() => Shim.Read;
}", Passed(0, "blob"));

        [Fact]
        public Task AChainOfTwoWrappersOverAUsingLocalIsSilent() => Check(@"
static class Shim
{
    private static int Read(Blob blob) => Native.native_read(blob.DangerousGetHandle());

    internal static int ReadTwice(Blob blob)
    {
        var first = Read(blob);
        return first + Read(blob);
    }
}

class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        return Shim.ReadTwice(opened);
    }
}");

        [Fact]
        public Task AChainOfTwoWrappersWhoseOuterCallerPassesAFieldIsReported() => Check(@"
static class Shim
{
    private static int Read(Blob blob) => Native.native_read({|#0:blob.DangerousGetHandle()|});

    internal static int ReadTwice(Blob blob)
    {
        var first = Read(blob);
        return first + Read(blob);
    }
}

public class Owner
{
    public Blob Held = new Blob();

    public int Peek() => Shim.ReadTwice(Held);
}", Passed(0, "blob"));

        [Fact]
        public Task AFreshTemporaryIsNotHeldAcrossTheCall() => Check(@"
static class Shim
{
    internal static int Read(Blob blob) => Native.native_read({|#0:blob.DangerousGetHandle()|});
}

class User
{
    int First(string path) => Shim.Read(Native.native_open(path));
}", Passed(0, "blob"));

        [Fact]
        public Task AUsingLocalHandedOnBeforeTheCallIsReported() => Check(@"
static class Shim
{
    internal static int Read(Blob blob) => Native.native_read({|#0:blob.DangerousGetHandle()|});
}

class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        Kept.All.Add(opened);
        return Shim.Read(opened);
    }
}", Passed(0, "blob"));

        [Fact]
        public Task AWrapperThatHandsItsParameterOnIsReported() => Check(@"
static class Shim
{
    internal static int Read(Blob blob)
    {
        Kept.All.Add(blob);
        return Native.native_read({|#0:blob.DangerousGetHandle()|});
    }
}

class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        return Shim.Read(opened);
    }
}", Passed(0, "blob"));

        [Fact]
        public Task ACallFromALambdaIsReported() => Check(@"
static class Shim
{
    internal static int Read(Blob blob) => Native.native_read({|#0:blob.DangerousGetHandle()|});
}

class User
{
    Func<int> First(string path)
    {
        using var opened = Native.native_open(path);
        return () => Shim.Read(opened);
    }
}", Passed(0, "blob"));

        [Fact]
        public Task ALocalNoOneElseReachesReadAfterTheCallIsHeld() => Check(@"
static class Shim
{
    internal static int Read(Blob blob) => Native.native_read(blob.DangerousGetHandle());
}

class User
{
    int First(string path)
    {
        var opened = Native.native_open(path);
        var read = Shim.Read(opened);
        opened.Dispose();
        return read;
    }
}");

        [Fact]
        public Task ALocalNothingReadsAfterTheCallMayBeFinalizedDuringIt() => Check(@"
static class Shim
{
    internal static int Read(Blob blob) => Native.native_read({|#0:blob.DangerousGetHandle()|});
}

class User
{
    int First(string path)
    {
        var opened = Native.native_open(path);
        return Shim.Read(opened);
    }
}", Passed(0, "blob"));

        // Two wrappers calling each other: the reading follows callers three levels up and then gives up.
        [Fact]
        public Task ACycleOfWrappersStaysReported() => Check(@"
static class Shim
{
    internal static int Read(Blob blob, int n) => n == 0 ? Native.native_read({|#0:blob.DangerousGetHandle()|}) : Again(blob, n - 1);

    private static int Again(Blob blob, int n) => Read(blob, n);
}

class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        return Shim.Read(opened, 2);
    }
}", Passed(0, "blob"));

        // A 'this' field of a type whose instances stay local is out of the reading's scope: the field's owner is not a
        // parameter, so whether each instance stays with one thread is not asked.
        [Fact]
        public Task AFieldOfAnInternalTypeStaysReported() => Check(@"
sealed class Reader
{
    private readonly Blob _blob;

    internal Reader(Blob blob) { _blob = blob; }

    internal int Read() => Native.native_read({|#0:_blob.DangerousGetHandle()|});
}

class User
{
    int First(string path)
    {
        using var opened = Native.native_open(path);
        return new Reader(opened).Read();
    }
}", Passed(0, "_blob"));
    }
}
