using System.Threading.Tasks;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 and a native parameter the library documents as ignored: Win32's <c>CallNextHookEx</c> finds the next hook
    /// from the calling thread's chain and does not read its first argument, so a hook handle an owner unhooks in its
    /// finalizer is not used by the call, called directly or through a wrapper. The same handle given to a parameter the
    /// function does read, to another function of the same family, or to a function of the same name in another library,
    /// is still reported.
    /// </summary>
    public class HandleOwnerIgnoredParameterTests
    {
        private const string Hooks = @"
static class User32
{
    [DllImport(""user32.dll"")] public static extern IntPtr CallNextHookEx(IntPtr hhk, int nCode, IntPtr wParam, IntPtr lParam);
    [DllImport(""user32.dll"")] public static extern bool UnhookWindowsHookEx(IntPtr hhk);
    [DllImport(""user32.dll"")] public static extern IntPtr SetWindowsHookEx(int idHook, IntPtr lpfn, IntPtr hMod, uint threadId);
    public static IntPtr Next(IntPtr hook, int code, IntPtr w, IntPtr l) => CallNextHookEx(hook, code, w, l);
}
static class Chains
{
    [DllImport(""mychains"")] public static extern IntPtr CallNextHookEx(IntPtr hhk, int nCode, IntPtr wParam, IntPtr lParam);
}
";

        [Fact]
        public Task AHookHandleGivenToCallNextHookExIsNotUsedByTheCall() => Check(Hooks + @"
class KeyHook
{
    private IntPtr _hook;
    ~KeyHook() { User32.UnhookWindowsHookEx(_hook); }

    public IntPtr OnKey(int code, IntPtr w, IntPtr l) => User32.CallNextHookEx(_hook, code, w, l);

    public IntPtr Forwarded(int code, IntPtr w, IntPtr l) => User32.Next(_hook, code, w, l);
}");

        [Fact]
        public Task TheHandleGivenToAParameterThatIsReadOrToAnotherLibrarysFunctionIsStillReported() => Check(Hooks + @"
class KeyHook
{
    private IntPtr _hook;
    ~KeyHook() { User32.UnhookWindowsHookEx(_hook); }

    public IntPtr AsLParam(int code, IntPtr w) => User32.CallNextHookEx(IntPtr.Zero, code, w, {|#0:_hook|});

    public bool Unhook() => User32.UnhookWindowsHookEx({|#1:_hook|});

    public IntPtr OtherLibrary(int code, IntPtr w, IntPtr l) => Chains.CallNextHookEx({|#2:_hook|}, code, w, l);
}", Finding(0, "this", "_hook", "User32.CallNextHookEx"), Finding(1, "this", "_hook", "User32.UnhookWindowsHookEx"), Finding(2, "this", "_hook", "Chains.CallNextHookEx"));
    }
}
