using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG0001 and how malformed options make the rules fall back to their defaults.</summary>
    public class OptionTests
    {
        private const string Source = @"
class C
{
    void M() { }
}";

        private static Task VerifyConfiguration(string editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<ConfigurationAnalyzer> { Source = Source, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Theory]
        [InlineData("interopguard.retaining_functions = git_remote_set_callbacks, Native.register_cb")]
        [InlineData("interopguard.non_retaining_functions = qsort")]
        [InlineData("interopguard.ownership_transfer_functions = My.Namespace.Queue.Take, take_buffer,")]
        [InlineData("interopguard.allocator_pairs = mylib_buf_new:mylib_buf_free, Pool.Rent : Pool.Return")]
        [InlineData("interopguard.native_declaring_types = RocksDbSharp.Native:rocksdb, Imports")]
        [InlineData("interopguard.deferred_release_functions = jr_unref, jr_*_unref, Api.*_release, *_dec_ref")]
        public Task WellFormedValuesAreAccepted(string line) => VerifyConfiguration(line);

        [Fact]
        public Task NameWithSpaceIsReported() => VerifyConfiguration(
            "interopguard.retaining_functions = set_callback, register cb",
            Verify.Diagnostic("IG0001").WithNoLocation().WithMessage(
                "The .editorconfig option 'interopguard.retaining_functions' has a malformed entry 'register cb': expected " + ParameterListForm + "; InteropGuard ignores this option and uses its defaults"));

        private const string ParameterListForm = "a comma-separated list of function names (entry point, method name or Type.Method), each alone (all its parameters) or with the parameters meant: positions counted from 1, 'f(2)' or 'f(2,3)', or a parameter name, 'f:callback'";

        [Theory]
        [InlineData("interopguard.retaining_functions = sqlite3_create_function_v2(5,6), Native.set_log:callback, plain")]
        [InlineData("interopguard.retaining_functions = f( 2 , 3 ),g:@event")]
        [InlineData("interopguard.non_retaining_functions = net_register_name(2), Lib.net_register:name")]
        public Task PerParameterEntriesAreAccepted(string line) => VerifyConfiguration(line);

        [Theory]
        [InlineData("interopguard.retaining_functions", "f(0)", "parameter positions counted from 1 ('f(1)' is the first parameter)")]
        [InlineData("interopguard.non_retaining_functions", "f(1,0)", "parameter positions counted from 1 ('f(1)' is the first parameter)")]
        [InlineData("interopguard.retaining_functions", "f(callback)", "a number in parentheses ('f(2)'); a parameter is named with a colon ('f:callback')")]
        [InlineData("interopguard.retaining_functions", "f:2", "a parameter name after the colon ('f:callback'); a position goes in parentheses ('f(2)')")]
        [InlineData("interopguard.retaining_functions", "f()", ParameterListForm)]
        [InlineData("interopguard.retaining_functions", "f(-1)", ParameterListForm)]
        [InlineData("interopguard.retaining_functions", "f(2", ParameterListForm)]
        [InlineData("interopguard.retaining_functions", "f(2)x", ParameterListForm)]
        [InlineData("interopguard.retaining_functions", "f:", ParameterListForm)]
        [InlineData("interopguard.retaining_functions", "f:a:b", ParameterListForm)]
        [InlineData("interopguard.retaining_functions", "f(2):a", ParameterListForm)]
        [InlineData("interopguard.retaining_functions", "(2)", ParameterListForm)]
        public Task MalformedParameterEntriesAreReported(string key, string entry, string expected) => VerifyConfiguration(
            key + " = good_one, " + entry,
            Verify.Diagnostic("IG0001").WithNoLocation().WithMessage(
                "The .editorconfig option '" + key + "' has a malformed entry '" + entry + "': expected " + expected + "; InteropGuard ignores this option and uses its defaults"));

        [Theory]
        [InlineData("Native:")]
        [InlineData("Native:a:b")]
        [InlineData("My Native")]
        public Task MalformedDeclaringTypeIsReported(string entry) => VerifyConfiguration(
            "interopguard.native_declaring_types = Good.Type, " + entry,
            Verify.Diagnostic("IG0001").WithNoLocation().WithMessage(
                "The .editorconfig option 'interopguard.native_declaring_types' has a malformed entry '" + entry + "': expected a comma-separated list of type names, each alone or with its native library after a colon, e.g. MyLib.Native:mylib; InteropGuard ignores this option and uses its defaults"));

        [Theory]
        [InlineData("*")]
        [InlineData("*.*")]
        [InlineData("jr unref")]
        [InlineData("jr_unref(2)")]
        [InlineData("jr_?_unref")]
        public Task MalformedDeferredReleaseIsReported(string entry) => VerifyConfiguration(
            "interopguard.deferred_release_functions = jr_unref, " + entry,
            Verify.Diagnostic("IG0001").WithNoLocation().WithMessage(
                "The .editorconfig option 'interopguard.deferred_release_functions' has a malformed entry '" + entry + "': expected a comma-separated list of function names (entry point, method name or Type.Method), where '*' stands for any run of characters of a name and a name is more than '*', e.g. Z3_dec_ref, Z3_*_dec_ref; InteropGuard ignores this option and uses its defaults"));

        [Fact]
        public Task PairWithoutReleaseIsReported() => VerifyConfiguration(
            "interopguard.allocator_pairs = mylib_buf_new",
            Verify.Diagnostic("IG0001").WithNoLocation().WithMessage(
                "The .editorconfig option 'interopguard.allocator_pairs' has a malformed entry 'mylib_buf_new': expected a comma-separated list of 'alloc:free' pairs of function names, e.g. mylib_buf_new:mylib_buf_free; InteropGuard ignores this option and uses its defaults"));

        [Fact]
        public Task EachMalformedKeyIsReportedOnce() => VerifyConfiguration(
            "interopguard.allocator_pairs = a:b:c\ninteropguard.ownership_transfer_functions = take(buffer)",
            Verify.Diagnostic("IG0001").WithNoLocation().WithMessage(
                "The .editorconfig option 'interopguard.allocator_pairs' has a malformed entry 'a:b:c': expected a comma-separated list of 'alloc:free' pairs of function names, e.g. mylib_buf_new:mylib_buf_free; InteropGuard ignores this option and uses its defaults"),
            Verify.Diagnostic("IG0001").WithNoLocation().WithMessage(
                "The .editorconfig option 'interopguard.ownership_transfer_functions' has a malformed entry 'take(buffer)': expected a comma-separated list of function names (entry point, method name or Type.Method); InteropGuard ignores this option and uses its defaults"));

        [Fact]
        public Task MalformedPairsFallBackToTheBuiltInCatalogue()
        {
            // The configured pair is dropped, the BCL allocation is still tracked.
            var test = new AnalyzerTest<OwnershipAnalyzer>
            {
                Source = @"using System;
using System.Runtime.InteropServices;
static class Lib
{
    [DllImport(""mylib"")] public static extern IntPtr mylib_buf_new(int size);
}
class C
{
    void M()
    {
        var b = Lib.mylib_buf_new(10);
        var p = {|#0:Marshal.AllocHGlobal(4)|};
    }
}",
                EditorConfig = "interopguard.allocator_pairs = mylib_buf_new;mylib_buf_free",
            };
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG3001").WithLocation(0)
                .WithMessage("Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' when the method returns"));
            return test.RunAsync();
        }
    }
}
