using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 on memory a native function hands out through an <c>out</c> pointer, when the method releases it itself
    /// on some path (and so owns it) but not on all. A method that never releases such a value stays silent: whether it
    /// owns it cannot be told.
    /// </summary>
    public class NativeOutAllocationTests
    {
        private const string Prelude = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
struct Status
{
    public int Value;
    public bool Failed => Value < 0;
    public bool Succeeded => Value >= 0;
}
static class Shell
{
    [DllImport(""shell"")] public static extern Status get_item_list(int folder, out IntPtr items);
    [DllImport(""shell"")] public static extern int get_item_list_rc(int folder, out IntPtr items);
    [DllImport(""shell"")] public static extern unsafe bool path_from_list(IntPtr items, char* path);
    [DllImport(""shell"")] public static extern int describe(IntPtr items);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task OutListReleasedOnlyWhenTheSecondCallSucceeds() => Check(@"
unsafe class C
{
    string Path(int folder)
    {
        if (Shell.get_item_list(folder, {|#0:out var items|}).Failed)
        {
            throw new Win32Exception();
        }

        char* path = stackalloc char[260];
        if (!Shell.path_from_list(items, path))
        {
            throw new Win32Exception();
        }

        Marshal.FreeCoTaskMem(items);
        return new string(path);
    }

    int Describe(int folder)
    {
        IntPtr items;
        if (Shell.get_item_list_rc(folder, {|#1:out items|}) != 0)
        {
            return -1;
        }

        var kind = Shell.describe(items);
        if (kind == 0)
        {
            return 0;
        }

        Marshal.FreeCoTaskMem(items);
        return kind;
    }
}",
            Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
                "Native memory from 'Shell.get_item_list' in 'items' is not released by 'Marshal.FreeCoTaskMem' on the 'throw new Win32Exception()' in 'if (!Shell.path_from_list(items, path))'"),
            Verify.Diagnostic("IG3001").WithLocation(1).WithMessage(
                "Native memory from 'Shell.get_item_list_rc' in 'items' is not released by 'Marshal.FreeCoTaskMem' on the 'return 0' in 'if (kind == 0)'"));

        [Fact]
        public Task KnownFolderPathIsOwnedEvenWhenTheCallFails() => Check(@"
static class Shell32
{
    [DllImport(""shell32.dll"", CharSet = CharSet.Unicode)] public static extern Status SHGetKnownFolderPath(ref Guid id, int flags, IntPtr token, out IntPtr path);
}
class C
{
    // The documentation asks for CoTaskMemFree whether the call succeeds or not.
    string KnownFolder(Guid id)
    {
        if (Shell32.SHGetKnownFolderPath(ref id, 0, IntPtr.Zero, {|#0:out var path|}).Failed)
        {
            throw new Win32Exception();
        }

        try
        {
            return Marshal.PtrToStringUni(path);
        }
        finally
        {
            Marshal.FreeCoTaskMem(path);
        }
    }

    // The same shape for a function of another library: a failed call leaves nothing to free.
    string ItemList(int folder)
    {
        if (Shell.get_item_list(folder, out var items).Failed)
        {
            throw new Win32Exception();
        }

        try
        {
            return Marshal.PtrToStringUni(items);
        }
        finally
        {
            Marshal.FreeCoTaskMem(items);
        }
    }
}",
            Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
                "Native memory from 'Shell32.SHGetKnownFolderPath' in 'path' is not released by 'Marshal.FreeCoTaskMem' on the 'throw new Win32Exception()' in 'if (Shell32.SHGetKnownFolderPath(ref id, 0, IntPtr.Zero, ...'"));

        [Fact]
        public Task OutValuesTheMethodNeverReleasesReleasesEverywhereOrHandsOn() => Check(@"
unsafe class C
{
    // Never released here: who owns it cannot be told.
    int Borrowed(int folder)
    {
        Shell.get_item_list(folder, out var items);
        return Shell.describe(items);
    }

    string Released(int folder)
    {
        if (Shell.get_item_list(folder, out var items).Failed)
        {
            throw new Win32Exception();
        }

        try
        {
            char* path = stackalloc char[260];
            if (!Shell.path_from_list(items, path))
            {
                throw new Win32Exception();
            }

            return new string(path);
        }
        finally
        {
            Marshal.FreeCoTaskMem(items);
        }
    }

    IntPtr Returned(int folder)
    {
        Shell.get_item_list_rc(folder, out var items);
        if (Shell.describe(items) == 0)
        {
            Marshal.FreeCoTaskMem(items);
            return IntPtr.Zero;
        }

        return items;
    }
}");

        [Fact]
        public Task MessageCountOfZeroMeansNothingWasAllocated() => Check(@"
static class Kernel32
{
    [DllImport(""kernel32.dll"", SetLastError = true)] public static extern uint FormatMessageW(uint flags, IntPtr source, uint id, uint language, out IntPtr buffer, uint size, IntPtr arguments);
}
static class Text
{
    [DllImport(""text"")] public static extern uint render(int id, out IntPtr buffer);
}
class C
{
    const uint AllocateFromSystem = 0x1100;

    // FormatMessage returns the characters written, zero when it fails and allocates nothing.
    string Describe(int code)
    {
        uint written = Kernel32.FormatMessageW(AllocateFromSystem, IntPtr.Zero, (uint)code, 0, out IntPtr buffer, 0, IntPtr.Zero);
        if (written == 0 || buffer == IntPtr.Zero)
        {
            return null;
        }

        var text = Marshal.PtrToStringUni(buffer);
        Marshal.FreeHGlobal(buffer);
        return text;
    }

    string DescribeWhenWritten(int code)
    {
        if (Kernel32.FormatMessageW(AllocateFromSystem, IntPtr.Zero, (uint)code, 0, out IntPtr buffer, 0, IntPtr.Zero) > 0)
        {
            var text = Marshal.PtrToStringUni(buffer);
            Marshal.FreeHGlobal(buffer);
            return text;
        }

        return null;
    }

    // A count above a threshold leaves successes on both sides: the short message leaks.
    string DescribeLong(int code)
    {
        uint written = Kernel32.FormatMessageW(AllocateFromSystem, IntPtr.Zero, (uint)code, 0, {|#0:out IntPtr buffer|}, 0, IntPtr.Zero);
        if (written < 8)
        {
            return null;
        }

        var text = Marshal.PtrToStringUni(buffer);
        Marshal.FreeHGlobal(buffer);
        return text;
    }

    // Another library's zero is success, as C functions' status usually is.
    string Render(int id)
    {
        uint rc = Text.render(id, {|#1:out IntPtr buffer|});
        if (rc == 0)
        {
            return null;
        }

        var text = Marshal.PtrToStringUni(buffer);
        Marshal.FreeHGlobal(buffer);
        return text;
    }
}",
            Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
                "Native memory from 'Kernel32.FormatMessageW' in 'buffer' is not released by 'Marshal.FreeHGlobal' on the 'return null' in 'if (written < 8)'"),
            Verify.Diagnostic("IG3001").WithLocation(1).WithMessage(
                "Native memory from 'Text.render' in 'buffer' is not released by 'Marshal.FreeHGlobal' on the 'return null' in 'if (rc == 0)'"));
    }
}
