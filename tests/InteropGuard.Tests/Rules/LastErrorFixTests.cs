using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>The IG4001 fix (declare SetLastError = true) and the IG4002 fix (capture the error right after the call).</summary>
    public class LastErrorFixTests
    {
        [Fact]
        public Task DeclaresEachPInvokeWithSetLastErrorOnce() => new CodeFixTest<LastErrorAnalyzer, SetLastErrorCodeFix>
        {
            DefaultDiagnosticId = "IG4001",
            Source = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""libc"")]
    internal static extern int open(string path, int flags);

    [DllImport(""libc"", EntryPoint = ""unlink"", SetLastError = false)]
    internal static extern int Unlink(string path);
}

static class Files
{
    static int Open(string path)
    {
        int fd = Native.open(path, 0);
        if (fd < 0) throw new Win32Exception([|Marshal.GetLastPInvokeError()|]);
        if (Native.open(path, 1) < 0) throw [|new Win32Exception()|];
        return fd;
    }

    static void Delete(string path)
    {
        if (Native.Unlink(path) != 0) throw [|new Win32Exception()|];
    }
}",
            FixedSource = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""libc"", SetLastError = true)]
    internal static extern int open(string path, int flags);

    [DllImport(""libc"", EntryPoint = ""unlink"", SetLastError = true)]
    internal static extern int Unlink(string path);
}

static class Files
{
    static int Open(string path)
    {
        int fd = Native.open(path, 0);
        if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
        if (Native.open(path, 1) < 0) throw new Win32Exception();
        return fd;
    }

    static void Delete(string path)
    {
        if (Native.Unlink(path) != 0) throw new Win32Exception();
    }
}",
        }.RunAsync();

        [Fact]
        public Task DeclarationInAnotherDocument() => new CodeFixTest<LastErrorAnalyzer, SetLastErrorCodeFix>
        {
            DefaultDiagnosticId = "IG4001",
            Source = @"using System.ComponentModel;
using System.Runtime.InteropServices;

static class Files
{
    static int Open(string path)
    {
        int fd = NativeMethods.open(path, 0);
        return fd < 0 ? [|Marshal.GetLastWin32Error()|] : 0;
    }
}",
            AdditionalSources =
            {
                @"using System.Runtime.InteropServices;

static class NativeMethods
{
    [DllImport(""libc"", CharSet = CharSet.Ansi)]
    internal static extern int open(string path, int flags);
}",
            },
            FixedSource = @"using System.ComponentModel;
using System.Runtime.InteropServices;

static class Files
{
    static int Open(string path)
    {
        int fd = NativeMethods.open(path, 0);
        return fd < 0 ? Marshal.GetLastWin32Error() : 0;
    }
}",
            FixedAdditionalSources =
            {
                @"using System.Runtime.InteropServices;

static class NativeMethods
{
    [DllImport(""libc"", CharSet = CharSet.Ansi, SetLastError = true)]
    internal static extern int open(string path, int flags);
}",
            },
        }.RunAsync();

[Fact]
        public Task DeclaresALibraryImportWithSetLastError() => new CodeFixTest<LastErrorAnalyzer, SetLastErrorCodeFix>
        {
            DefaultDiagnosticId = "IG4001",
            Source = @"using System.ComponentModel;
using System.Runtime.InteropServices;

static partial class Lib
{
    [LibraryImport(""libc"", EntryPoint = ""unlink"", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Unlink(string path);
    internal static partial int Unlink(string path) => -1;

    static void Delete(string path)
    {
        if (Unlink(path) != 0) throw [|new Win32Exception()|];
    }
}",
            FixedSource = @"using System.ComponentModel;
using System.Runtime.InteropServices;

static partial class Lib
{
    [LibraryImport(""libc"", EntryPoint = ""unlink"", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Unlink(string path);
    internal static partial int Unlink(string path) => -1;

    static void Delete(string path)
    {
        if (Unlink(path) != 0) throw new Win32Exception();
    }
}",
        }.RunAsync();

                private const string NativeDeclarations = @"
static class Native
{
    [DllImport(""libc"", SetLastError = true)] internal static extern int open(string path, int flags);
    [DllImport(""libc"", SetLastError = true)] internal static extern int close(int fd);
    [DllImport(""libc"", SetLastError = true)] internal static extern int mkdir(string path, int mode);
}";

        [Fact]
        public Task CapturesTheErrorFirstInTheGuardedBranch() => new CodeFixTest<LastErrorAnalyzer, CaptureLastErrorCodeFix>
        {
            DefaultDiagnosticId = "IG4002",
            Source = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Files
{
    static void Create(string path, Microsoft.Win32.SafeHandles.SafeFileHandle parent)
    {
        if (Native.mkdir(path, 0x1ff) != 0)
        {
            Console.WriteLine($""mkdir {path} failed"");
            parent.Dispose();
            throw new Win32Exception([|Marshal.GetLastPInvokeError()|], ""mkdir failed"");
        }

        if (Native.mkdir(path + ""/sub"", 0x1ff) != 0)
            throw new System.IO.IOException(path.Length.ToString(), [|Marshal.GetLastPInvokeError()|]);

        if (Native.mkdir(path + ""/b"", 0x1ff) != 0)
        {
            parent.Dispose();
            throw [|new Win32Exception()|];
        }
    }
}" + NativeDeclarations,
            FixedSource = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Files
{
    static void Create(string path, Microsoft.Win32.SafeHandles.SafeFileHandle parent)
    {
        if (Native.mkdir(path, 0x1ff) != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            Console.WriteLine($""mkdir {path} failed"");
            parent.Dispose();
            throw new Win32Exception(error, ""mkdir failed"");
        }

        if (Native.mkdir(path + ""/sub"", 0x1ff) != 0)
        {
            int lastError = Marshal.GetLastPInvokeError();
            throw new System.IO.IOException(path.Length.ToString(), lastError);
        }

        if (Native.mkdir(path + ""/b"", 0x1ff) != 0)
        {
            int errorCode = Marshal.GetLastPInvokeError();
            parent.Dispose();
            throw new Win32Exception(errorCode);
        }
    }
}" + NativeDeclarations,
        }.RunAsync();

        [Fact]
        public Task CapturesTheErrorRightAfterTheCallStatement() => new CodeFixTest<LastErrorAnalyzer, CaptureLastErrorCodeFix>
        {
            DefaultDiagnosticId = "IG4002",
            Source = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Files
{
    static int Reopen(string path, int old)
    {
        int fd = Native.open(path, 0);
        Native.close(old);
        if (fd < 0)
        {
            int error = 0;
            throw new Win32Exception([|Marshal.GetLastWin32Error()|], ""reopen failed"" + error);
        }

        return fd;
    }
}" + NativeDeclarations,
            FixedSource = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Files
{
    static int Reopen(string path, int old)
    {
        int fd = Native.open(path, 0);
        int lastError = Marshal.GetLastWin32Error();
        Native.close(old);
        if (fd < 0)
        {
            int error = 0;
            throw new Win32Exception(lastError, ""reopen failed"" + error);
        }

        return fd;
    }
}" + NativeDeclarations,
        }.RunAsync();

        [Fact]
        public Task NoFixForAHelperRead() => new CodeFixTest<LastErrorAnalyzer, CaptureLastErrorCodeFix>
        {
            DefaultDiagnosticId = "IG4002",
            Source = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Files
{
    static void ThrowLastError() => throw new Win32Exception();

    static void Create(string path)
    {
        if (Native.mkdir(path, 0x1ff) != 0)
        {
            Console.WriteLine(path);
            [|ThrowLastError()|];
        }
    }
}" + NativeDeclarations,
            FixedSource = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Files
{
    static void ThrowLastError() => throw new Win32Exception();

    static void Create(string path)
    {
        if (Native.mkdir(path, 0x1ff) != 0)
        {
            Console.WriteLine(path);
            [|ThrowLastError()|];
        }
    }
}" + NativeDeclarations,
        }.RunAsync();
    }
}
