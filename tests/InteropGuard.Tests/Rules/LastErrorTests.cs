using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG4001 (the last error of a P/Invoke declared without SetLastError) and IG4002 (the last error read after
    /// something that can overwrite it).
    /// </summary>
    public class LastErrorTests
    {
        private const string Usings = "using System;\nusing System.ComponentModel;\nusing System.Runtime.InteropServices;\nusing System.Threading.Tasks;\n";

        private const string Native = @"
static class Native
{
    [DllImport(""libc"")] internal static extern int open(string path, int flags);
    [DllImport(""libc"", SetLastError = true)] internal static extern int open_checked(string path, int flags);
    [DllImport(""libc"", SetLastError = true)] internal static extern int close(int fd);
    [DllImport(""libc"")] internal static extern int getpid();
    [DllImport(""kernel32.dll"", SetLastError = true)] internal static extern bool CreateDirectoryW(string path, IntPtr security);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected) => Check(source, OutputKind.DynamicallyLinkedLibrary, expected);

        private static Task Check(string source, OutputKind kind, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<LastErrorAnalyzer> { Source = Usings + source + Native, OutputKind = kind };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // ---- IG4001 ----

        [Fact]
        public Task ReadAfterPInvokeWithoutSetLastError() => Check(@"
static class Files
{
    static int Open(string path)
    {
        int fd = Native.open(path, 0);
        if (fd < 0)
        {
            throw new Win32Exception({|#0:Marshal.GetLastPInvokeError()|});
        }

        return fd;
    }
}",
            Verify.Diagnostic("IG4001").WithLocation(0).WithMessage(
                "'Marshal.GetLastPInvokeError()' reads the last error of 'Native.open', which is declared without SetLastError = true: the marshaller does not save the error it sets, so the value read is whatever an earlier call left"));

        [Fact]
        public Task Win32ExceptionWithoutErrorCodeReadsTheLastError() => Check(@"
static class Files
{
    static void Open(string path)
    {
        if (Native.open(path, 0) < 0) throw {|#0:new Win32Exception()|};
        if (Native.open(path, 1) < 0) throw {|#1:new Win32Exception(""open failed"")|};
        if (Native.open(path, 2) < 0) throw new Win32Exception(5, ""open failed"");
    }
}",
            Verify.Diagnostic("IG4001").WithLocation(0).WithMessage(
                "'new Win32Exception()' reads the last error of 'Native.open', which is declared without SetLastError = true: the marshaller does not save the error it sets, so the value read is whatever an earlier call left"),
            Verify.Diagnostic("IG4001").WithLocation(1));

        [Fact]
        public Task ThroughAWrapperAndAHelperThatReadsFirst() => Check(@"
static class Files
{
    static int Open(string path, int flags) => Native.open(path, flags);

    static void CheckIo(int rc)
    {
        if (rc < 0)
        {
            throw new Win32Exception(Marshal.GetLastWin32Error());
        }
    }

    static void ThrowLastError() => throw new Win32Exception();

    static void M(string path)
    {
        int fd = Open(path, 0);
        {|#0:CheckIo(fd)|};
        if (Open(path, 1) < 0)
        {
            {|#1:ThrowLastError()|};
        }
    }
}",
            Verify.Diagnostic("IG4001").WithLocation(0).WithMessage(
                "'CheckIo(...)' reads the last error of 'Native.open' through 'Files.Open', which is declared without SetLastError = true: the marshaller does not save the error it sets, so the value read is whatever an earlier call left"),
            Verify.Diagnostic("IG4001").WithLocation(1));

        [Fact]
        public Task OnSomePathTheMostRecentCallDoesNotSaveTheError() => Check(@"
static class Files
{
    static int M(string path, bool quick)
    {
        int fd = quick ? Native.open(path, 0) : Native.open_checked(path, 0);
        return fd < 0 ? {|#0:Marshal.GetLastWin32Error()|} : 0;
    }
}",
            Verify.Diagnostic("IG4001").WithLocation(0));

        [Fact]
        public Task TopLevelStatementsLambdasLocalFunctionsAndAsync() => Check(@"
if (Native.open(""a"", 0) < 0) Console.Error.WriteLine({|#0:Marshal.GetLastPInvokeError()|});

Func<int> f = () => Native.open(""b"", 0) < 0 ? {|#1:Marshal.GetLastPInvokeError()|} : 0;
Local();
await Task.Yield();

void Local()
{
    if (Native.open(""c"", 0) < 0) throw {|#2:new Win32Exception()|};
}

static partial class Program
{
    static async Task<int> OpenAsync(string path)
    {
        await Task.Yield();
        int fd = Native.open(path, 0);
        return fd < 0 ? {|#3:Marshal.GetLastSystemError()|} : fd;
    }
}",
            OutputKind.ConsoleApplication,
            Verify.Diagnostic("IG4001").WithLocation(0),
            Verify.Diagnostic("IG4001").WithLocation(1),
            Verify.Diagnostic("IG4001").WithLocation(2),
            Verify.Diagnostic("IG4001").WithLocation(3));

        [Fact]
        public Task CorrectReadsAreSilent() => Check(@"
static class Files
{
    static int Open(string path)
    {
        int fd = Native.open_checked(path, 0);
        if (fd < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }

        return fd;
    }

    static void Create(string path)
    {
        if (!Native.CreateDirectoryW(path, IntPtr.Zero))
        {
            int pid = Native.getpid();
            throw new Win32Exception(Marshal.GetLastWin32Error(), ""mkdir by "" + pid.ToString());
        }
    }

    static int NoNativeCallBefore() => Marshal.GetLastPInvokeError();

    static void CheckIo(int rc)
    {
        if (rc < 0) throw new Win32Exception(Marshal.GetLastWin32Error());
    }

    static int Early(string path)
    {
        int fd = Native.open_checked(path, 0);
        if (fd >= 0)
        {
            return fd;
        }

        throw new Win32Exception();
    }

    static int Loop(string[] paths)
    {
        int last = 0;
        foreach (var path in paths)
        {
            if (Native.open_checked(path, 0) < 0)
            {
                last = Marshal.GetLastPInvokeError();
            }
        }

        return last;
    }
}");

        [Fact]
        public Task IncompleteCodeDoesNotThrow() => new AnalyzerTest<LastErrorAnalyzer>
        {
            Source = Usings + @"
static class Files
{
    static void M(string path)
    {
        if (Native.open(path, 0) < 0) throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|}
    }
}" + Native,
            AllowCompilerErrors = true,
            ExpectedDiagnostics = { Verify.Diagnostic("IG4001").WithLocation(0) },
        }.RunAsync();

        [Fact]
        public Task AHelperHandedANativeResultReadsThatCallsErrorWhateverGuardSurroundsIt() => Check(@"
sealed class Line
{
    // Checks the result it is given and reads the error of the call that produced it.
    public Line(int fd)
    {
        if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
    }
}
static class Lines
{
    static Line Reopen(int old, string path)
    {
        Line line = null;
        if (Native.getpid() != old)
        {
            line = new Line(Native.open_checked(path, 0));
        }
        return line;
    }

    static Line ReopenThroughALocal(int old, string path)
    {
        Line line = null;
        if (Native.getpid() != old)
        {
            var fd = Native.open_checked(path, 0);
            line = new Line(fd);
        }
        return line;
    }

    static Line Unsaved(int old, string path)
    {
        Line line = null;
        if (Native.getpid() != old)
        {
            line = {|#0:new Line(Native.open(path, 0))|};
        }
        return line;
    }
}",
            Verify.Diagnostic("IG4001").WithLocation(0).WithMessage(
                "'new Line(...)' reads the last error of 'Native.open', which is declared without SetLastError = true: the marshaller does not save the error it sets, so the value read is whatever an earlier call left"));

        // ---- IG4002 ----

        [Fact]
        public Task LoggingBetweenTheCallAndTheRead() => Check(@"
static class Files
{
    static void Log(string message) => Console.WriteLine(message);

    static void Create(string path)
    {
        if (!Native.CreateDirectoryW(path, IntPtr.Zero))
        {
            Log(""mkdir failed: "" + path);
            throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|});
        }
    }

    static int Open(string path)
    {
        int fd = Native.open_checked(path, 0);
        Console.WriteLine($""open returned {fd}"");
        return fd < 0 ? {|#1:Marshal.GetLastPInvokeError()|} : 0;
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'Marshal.GetLastWin32Error()' reads the last error of 'Native.CreateDirectoryW' after 'Files.Log', which may make a native call that sets the last error: capture the error right after 'Native.CreateDirectoryW'"),
            Verify.Diagnostic("IG4002").WithLocation(1).WithMessage(
                "'Marshal.GetLastPInvokeError()' reads the last error of 'Native.open_checked' after 'the string interpolation', which formats values (culture data and ToString overrides may call native code): capture the error right after 'Native.open_checked'"));

        [Fact]
        public Task FormattingOnlyStringsKeepsTheLastError() => Check(@"
static class Loader
{
    static void Load(string path, string name)
    {
        if (Native.open_checked(path, 0) < 0)
        {
            var message = string.Format(System.Globalization.CultureInfo.InvariantCulture, ""Could not load '{0}' from '{1}'."", name, path);
            var detail = string.Format(""{0}: {1}"", name, message);
            throw new Win32Exception(detail, new Win32Exception(Marshal.GetLastPInvokeError()));
        }
    }

    static void Counted(string path, int tries)
    {
        if (Native.open_checked(path, 0) < 0)
        {
            var message = string.Format(""{0} after {1} tries"", path, tries);
            throw new Win32Exception({|#0:Marshal.GetLastPInvokeError()|}, message);
        }
    }

    static void Provided(string path, IFormatProvider provider)
    {
        if (Native.open_checked(path, 0) < 0)
        {
            var message = string.Format(provider, ""{0}"", path);
            throw new Win32Exception({|#1:Marshal.GetLastPInvokeError()|}, message);
        }
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'Marshal.GetLastPInvokeError()' reads the last error of 'Native.open_checked' after 'String.Format', which formats values (culture data and ToString overrides may call native code): capture the error right after 'Native.open_checked'"),
            Verify.Diagnostic("IG4002").WithLocation(1).WithMessage(
                "'Marshal.GetLastPInvokeError()' reads the last error of 'Native.open_checked' after 'String.Format', which formats values (culture data and ToString overrides may call native code): capture the error right after 'Native.open_checked'"));

        [Fact]
        public Task AnotherPInvokeThatSetsTheLastErrorBetween() => Check(@"
static class Files
{
    static void Reopen(string path, int old)
    {
        int ok = Native.open_checked(path, 0);
        Native.close(old);
        if (ok < 0)
        {
            throw new Win32Exception({|#0:Marshal.GetLastPInvokeError()|});
        }
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'Marshal.GetLastPInvokeError()' reads the last error of 'Native.open_checked' after 'Native.close', which is a P/Invoke declared with SetLastError = true and saves its own last error: capture the error right after 'Native.open_checked'"));

        [Fact]
        public Task DisposeOfASafeHandleAndAwaitBetween() => Check(@"
static class Files
{
    static void Create(string path, Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (!Native.CreateDirectoryW(path, IntPtr.Zero))
        {
            handle.Dispose();
            throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|});
        }
    }

    static async Task CreateAsync(string path)
    {
        if (!Native.CreateDirectoryW(path, IntPtr.Zero))
        {
            await Task.Delay(1);
            throw {|#1:new Win32Exception()|};
        }
    }

    static void WithUsing(string path)
    {
        bool ok;
        using (var stream = new System.IO.MemoryStream())
        {
            ok = Native.CreateDirectoryW(path, IntPtr.Zero);
        }

        if (!ok) throw new Win32Exception({|#2:Marshal.GetLastWin32Error()|});
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'Marshal.GetLastWin32Error()' reads the last error of 'Native.CreateDirectoryW' after 'SafeHandle.Dispose', which releases a SafeHandle, whose release function is a native call that may set the last error: capture the error right after 'Native.CreateDirectoryW'"),
            Verify.Diagnostic("IG4002").WithLocation(1).WithMessage(
                "'new Win32Exception()' reads the last error of 'Native.CreateDirectoryW' after 'await', which may resume on another thread, whose last error is another one: capture the error right after 'Native.CreateDirectoryW'"),
            Verify.Diagnostic("IG4002").WithLocation(2));

        [Fact]
        public Task ClosingAHandleATestShowedInvalidReleasesNothing() => Check(@"
sealed class ModuleHandle : Microsoft.Win32.SafeHandles.SafeHandleZeroOrMinusOneIsInvalid
{
    ModuleHandle() : base(true) { }
    protected override bool ReleaseHandle() => Loader.FreeLibrary(handle);
}
static class ModuleHandles
{
    public static bool IsMissing(this ModuleHandle module) => module == null || module.IsInvalid;
}
static class Loader
{
    [DllImport(""kernel32.dll"", SetLastError = true)] internal static extern ModuleHandle LoadLibraryW(string path);
    [DllImport(""kernel32.dll"", SetLastError = true)] internal static extern bool FreeLibrary(IntPtr module);

    // An invalid handle is closed without its release function: the load's error is intact.
    static ModuleHandle Open(string path)
    {
        var module = LoadLibraryW(path);
        if (module.IsInvalid)
        {
            module.Dispose();
            throw new Win32Exception(Marshal.GetLastWin32Error());
        }

        return module;
    }

    // The same through a predicate of the library's own, with the valid case returning first.
    static ModuleHandle TryOpen(string path, out int error)
    {
        var module = LoadLibraryW(path);
        if (!module.IsMissing())
        {
            error = 0;
            return module;
        }

        module.Close();
        error = Marshal.GetLastWin32Error();
        return null;
    }

    // A valid handle's release calls FreeLibrary, which sets the last error.
    static void Check(string path, bool ok)
    {
        var module = LoadLibraryW(path);
        if (!module.IsInvalid)
        {
            module.Dispose();
            throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|});
        }
    }

    // Reassigned after the test: the handle closed is another one.
    static void Reload(ModuleHandle module, string other)
    {
        if (module.IsInvalid)
        {
            module = LoadLibraryW(other);
            module.Dispose();
            throw new Win32Exception({|#1:Marshal.GetLastWin32Error()|});
        }
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'Marshal.GetLastWin32Error()' reads the last error of 'Loader.LoadLibraryW' after 'SafeHandle.Dispose', which releases a SafeHandle, whose release function is a native call that may set the last error: capture the error right after 'Loader.LoadLibraryW'"),
            Verify.Diagnostic("IG4002").WithLocation(1));

        [Fact]
        public Task ReadAndNativeCallInsideALambdaPassTheGate() => Check(@"
static class Files
{
    // The body's operation tree holds the lambda: the read and the call in it are found before any graph is built.
    static Func<int> Later(string path) => () =>
    {
        if (Native.open(path, 0) < 0)
        {
            return {|#0:Marshal.GetLastPInvokeError()|};
        }

        return 0;
    };

    // A read with no native call anywhere in the body has nothing to be about.
    static int Alone() => Marshal.GetLastPInvokeError();
}",
            Verify.Diagnostic("IG4001").WithLocation(0));

        [Fact]
        public Task HarmlessCodeBetweenIsSilent() => Check(@"
class Files
{
    private int _count;
    private readonly string _name = ""x"";

    int Count => _count;

    static int Twice(int value) => value * 2;

    void Create(string path)
    {
        if (!Native.CreateDirectoryW(path, IntPtr.Zero))
        {
            _count++;
            int doubled = Twice(Count) + _name.Length;
            bool same = string.Equals(path, _name, StringComparison.Ordinal);
            throw new Win32Exception(Marshal.GetLastWin32Error(), $""mkdir {path} failed ({doubled}, {same})"");
        }
    }

    int Open(string path)
    {
        int fd = Native.open_checked(path, 0);
        int error = Marshal.GetLastPInvokeError();
        Console.WriteLine($""open returned {fd}"");
        return fd < 0 ? error : 0;
    }

    void Guarded(string path, int old)
    {
        if (Native.open_checked(path, 0) < 0)
        {
            Native.getpid();
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }

        Native.close(old);
    }
}");

        [Fact]
        public Task LibraryImportWithAndWithoutSetLastError() => new AnalyzerTest<LastErrorAnalyzer>
        {
            // LibraryImport needs its source generator to compile; the partial implementations are written by hand.
            Source = Usings + @"
static partial class Lib
{
    [LibraryImport(""libc"", EntryPoint = ""unlink"", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Unlink(string path);
    internal static partial int Unlink(string path) => -1;

    [LibraryImport(""libc"", EntryPoint = ""rmdir"", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int RemoveDirectory(string path);
    internal static partial int RemoveDirectory(string path) => -1;
}

static class Files
{
    static void Delete(string path)
    {
        if (Lib.Unlink(path) != 0) throw {|#0:new Win32Exception()|};
        if (Lib.RemoveDirectory(path) != 0) throw new Win32Exception();
    }
}",
            ExpectedDiagnostics = { Verify.Diagnostic("IG4001").WithLocation(0).WithMessage(
                "'new Win32Exception()' reads the last error of 'Lib.Unlink', which is declared without SetLastError = true: the marshaller does not save the error it sets, so the value read is whatever an earlier call left") },
        }.RunAsync();

        [Fact]
        public Task HelpersThatDoSomethingElseFirstAreNotReads() => Check(@"
static class Files
{
    // Logs, then reads: not a read at the call site (the helper's own order is its own business).
    static void Fail(string what)
    {
        Console.Error.WriteLine(what);
        throw new Win32Exception();
    }

    // Returns an error code it was given: no read at all.
    static Exception Error(int code) => new Win32Exception(code);

    static void M(string path)
    {
        if (Native.open(path, 0) < 0) Fail(""open"");
        if (Native.open(path, 1) < 0) throw Error(2);
    }
}");

        [Fact]
        public Task AGuardedReadIsAboutTheGuardingCall() => Check(@"
static class Files
{
    static void M(string path, int old)
    {
        // getpid is declared without SetLastError, but the read is about open_checked, which the condition tests,
        // and getpid does not touch the saved error.
        if (Native.open_checked(path, 0) < 0)
        {
            int pid = Native.getpid();
            throw new Win32Exception(Marshal.GetLastPInvokeError(), ""pid "" + pid);
        }

        // The condition tests 'fd', assigned from open, declared without SetLastError: IG4001 although close saves an error since.
        int fd = Native.open(path, 0);
        if (fd < 0)
        {
            throw new Win32Exception({|#0:Marshal.GetLastPInvokeError()|});
        }
    }
}",
            Verify.Diagnostic("IG4001").WithLocation(0));

        // A native call made for an argument returns before the call it feeds: the guard tests the outer call's result, and
        // the read is about that call, which saved its error. The inner call tested on its own is still what the read is about.
        [Fact]
        public Task ANativeCallInAnArgumentIsNotWhatTheGuardTests() => Check(@"
static class Files
{
    static int Descriptor(string path)
    {
        int fd = Native.open_checked(path, Native.getpid());
        if (fd < 0)
            Fail();
        return fd;
    }

    static void Directory(string path)
    {
        if (!Native.CreateDirectoryW(path, new IntPtr(Native.getpid())))
            throw new Win32Exception(Marshal.GetLastPInvokeError());
    }

    static int Alone()
    {
        int pid = Native.getpid();
        if (pid < 0)
            {|#0:Fail()|};
        return pid;
    }

    static void Fail() => throw new Win32Exception(Marshal.GetLastPInvokeError());
}",
            Verify.Diagnostic("IG4001").WithLocation(0));

        [Fact]
        public Task ANativeCallAnOuterGuardTestsIsNotAnOverwrite() => Check(@"
static class Files
{
    static void M(string path)
    {
        // The read is about open_checked (the inner condition tests 'fd'); CreateDirectoryW ran since, but the outer
        // condition tests it, and the read sits where it succeeded: not an overwrite to report.
        int fd = Native.open_checked(path, 0);
        if (Native.CreateDirectoryW(path, IntPtr.Zero))
        {
            if (fd < 0)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError());
            }
        }

        // The same calls with no condition testing CreateDirectoryW: it overwrites the error the read is about.
        int fd2 = Native.open_checked(path, 0);
        Native.CreateDirectoryW(path, IntPtr.Zero);
        if (fd2 < 0)
        {
            throw new Win32Exception({|#0:Marshal.GetLastPInvokeError()|});
        }
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0));

        [Fact]
        public Task OverwritesInTopLevelStatementsLocalFunctionsAndLambdas() => Check(@"
if (Native.open_checked(""a"", 0) < 0)
{
    Console.WriteLine(""open failed"");
    Console.Error.WriteLine({|#0:Marshal.GetLastPInvokeError()|});
}

Action a = () =>
{
    if (!Native.CreateDirectoryW(""b"", IntPtr.Zero))
    {
        Console.WriteLine(""mkdir failed"");
        throw {|#1:new Win32Exception()|};
    }
};

Local(3);

void Local(int old)
{
    int fd = Native.open_checked(""c"", 0);
    Native.close(old);
    if (fd < 0) throw new Win32Exception({|#2:Marshal.GetLastWin32Error()|});
}

// The lambda and the local function are their own bodies: the read in them is not about the calls around them.
int error = Native.open_checked(""d"", 0);
Func<int> later = () => Marshal.GetLastPInvokeError();
LocalRead();
void LocalRead() => Console.WriteLine(Marshal.GetLastPInvokeError());
",
            OutputKind.ConsoleApplication,
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'Marshal.GetLastPInvokeError()' reads the last error of 'Native.open_checked' after 'Console.WriteLine', which writes to the console, a native write that sets the last error: capture the error right after 'Native.open_checked'"),
            Verify.Diagnostic("IG4002").WithLocation(1),
            Verify.Diagnostic("IG4002").WithLocation(2));

        [Fact]
        public Task AHelperReadIsFoundWhereItRunsHoweverItIsReached() => Check(@"
sealed class OpenFailure
{
    public OpenFailure() { Code = Marshal.GetLastWin32Error(); }
    public int Code { get; }
}

sealed class Reporter
{
    public void ReportLast() => Console.WriteLine(Marshal.GetLastPInvokeError());
}

static class Files
{
    // Naming the reading type (a parameter, a return type) reads nothing: only creating it does.
    static int Keep(OpenFailure failure, string path) => Native.open(path, 0) < 0 ? failure.Code : 0;

    static OpenFailure? Open(string path)
    {
        if (Native.open(path, 0) < 0) return {|#0:new OpenFailure()|};
        return null;
    }

    static void Log(Reporter? reporter, string path)
    {
        if (Native.open(path, 0) < 0) reporter?{|#1:.ReportLast()|};
    }

    static void LogQualified(Reporter reporter, string path)
    {
        if (Native.open(path, 0) < 0) {|#2:reporter.ReportLast()|};
    }
}",
            Verify.Diagnostic("IG4001").WithLocation(0),
            Verify.Diagnostic("IG4001").WithLocation(1),
            Verify.Diagnostic("IG4001").WithLocation(2));

        // ---- A catch whose try throws on purpose when the native call fails ----

        // The try throws right after the call fails; the trace runs only after it succeeded (and reaches the catch
        // only if the trace itself throws, when the call's error is not what failed): nothing between.
        [Fact]
        public Task CatchOfAThrowRightAfterTheFailedCallIsAboutThatCall() => Check(@"
static class Folders
{
    static bool Make(string path)
    {
        try
        {
            bool made = Native.CreateDirectoryW(path, IntPtr.Zero);
            if (made)
            {
                Console.WriteLine(""made "" + path);
            }
            else
            {
                throw new InvalidOperationException(string.Concat(""cannot make "", path));
            }

            return made;
        }
        catch (InvalidOperationException failure)
        {
            int code = Marshal.GetLastPInvokeError();
            throw new IOException(failure.Message + code);
        }
    }
}
class IOException : Exception { public IOException(string m) : base(m) { } }");

        // The same catch, but the trace runs on the failing path, before the throw: reported.
        [Fact]
        public Task CatchOfAThrowAfterATraceOnTheFailingPathIsReported() => Check(@"
static class Folders
{
    static bool Make(string path)
    {
        try
        {
            bool made = Native.CreateDirectoryW(path, IntPtr.Zero);
            if (!made)
            {
                Console.WriteLine(""cannot make "" + path);
                throw new InvalidOperationException(path);
            }

            return made;
        }
        catch (InvalidOperationException)
        {
            throw new Win32Exception({|#0:Marshal.GetLastPInvokeError()|});
        }
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0));

        // The try's only explicit throw comes before the native call: the catch is reached from anywhere in the try,
        // the trace after the call included: reported.
        [Fact]
        public Task CatchWhoseOnlyThrowPrecedesTheCallKeepsEveryPath() => Check(@"
static class Folders
{
    static bool Make(string path)
    {
        try
        {
            if (path.Length == 0) throw new ArgumentException(""empty"", nameof(path));
            bool made = Native.CreateDirectoryW(path, IntPtr.Zero);
            Console.WriteLine(made);
            return made;
        }
        catch (Exception)
        {
            throw new Win32Exception({|#0:Marshal.GetLastPInvokeError()|});
        }
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0));

        [Fact]
        public Task AnExceptionOfThisCompilationBuiltOnWin32ExceptionReads() => Check(@"
sealed class NativeError : Win32Exception
{
    public NativeError(string message) : base(message) { }
}

static class Files
{
    static void Open(string path)
    {
        if (Native.open(path, 0) < 0) throw {|#0:new NativeError(""open"")|};
    }
}",
            Verify.Diagnostic("IG4001").WithLocation(0).WithMessage(
                "'new NativeError(...)' reads the last error of 'Native.open', which is declared without SetLastError = true: the marshaller does not save the error it sets, so the value read is whatever an earlier call left"));
    }
}
