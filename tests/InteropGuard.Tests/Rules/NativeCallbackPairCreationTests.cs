using System.Threading.Tasks;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// <c>new KeyValuePair&lt;K, V&gt;(key, value)</c> stores the two values it is given and checks nothing (Flow/InfallibleCalls):
    /// an enumeration callback that collects what native code lists as pairs cannot fail there. Look-alike: a pair type of
    /// the library's own whose constructor validates its key.
    /// </summary>
    public class NativeCallbackPairCreationTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

readonly struct Setting
{
    public Setting(string key, int mode)
    {
        if (key.Length == 0) throw new ArgumentException(""empty key"");
        Key = key;
        Mode = mode;
    }

    public string Key { get; }
    public int Mode { get; }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected) => CallbackExceptionExpectations.Check(Prelude + source, expected);

        [Fact]
        public Task CollectingPairsDoesNotThrow() => Check(@"
static class Exports
{
    static readonly List<KeyValuePair<string, int>> s_settings = new List<KeyValuePair<string, int>>();

    [UnmanagedCallersOnly]
    static void OnSetting(IntPtr key, int mode)
    {
        var name = Marshal.PtrToStringAnsi(key);
        s_settings.Add(new KeyValuePair<string, int>(name, mode));
        s_settings.Add(new KeyValuePair<string, int>());
    }
}");

        // Look-alike: the library's own pair validates what it is given.
        [Fact]
        public Task APairThatValidatesStillThrows() => Check(@"
static class Exports
{
    static readonly List<Setting> s_settings = new List<Setting>();

    [UnmanagedCallersOnly]
    static void {|#0:OnSetting|}(IntPtr key, int mode)
    {
        var name = Marshal.PtrToStringAnsi(key);
        s_settings.Add(new Setting(name, mode));
    }
}", CallbackExceptionExpectations.Unmanaged("OnSetting", "new Setting(name, mode)", "'throw new ArgumentException(\"empty key\")' in 'new Setting'"));
    }
}
