using System.Text.RegularExpressions;

namespace InteropGuard.EndToEnd.Tests
{
    /// <summary>The InteropGuardPreset MSBuild property shipped in the package's buildTransitive props.</summary>
    [Collection(EndToEndCollection.Name)]
    public sealed class PresetTests
    {
        private const string Sample = "Ownership.NativeMemoryLeak";

        private readonly SampleWorkspace workspace;

        public PresetTests(SampleWorkspace workspace)
        {
            this.workspace = workspace;
        }

        // Its own copy: these builds recompile with other severities and must not disturb the other tests' copies.
        private SampleCopy Copy => workspace.Once("presets copy", () => workspace.CopySample(Sample, "presets"));

        [Fact]
        public void Strict_preset_makes_the_finding_an_error_without_warnaserror()
        {
            ProcessResult build = Copy.Build("-p:InteropGuardPreset=strict");
            Assert.True(build.ExitCode != 0, "The strict preset must fail the build.\n" + build);
            Assert.Matches(new Regex(@"Program\.cs\(\d+,\d+\): error IG3001"), build.Output);
        }

        [Fact]
        public void None_preset_turns_the_rule_off_even_with_warnaserror()
        {
            ProcessResult build = Copy.Build("-p:InteropGuardPreset=none", "-warnaserror");
            Assert.True(build.ExitCode == 0, "The none preset must silence IG3001.\n" + build);
            Assert.DoesNotContain("IG3001", build.Output);
        }

        [Fact]
        public void Unknown_preset_is_a_clear_build_error()
        {
            ProcessResult build = Copy.Build("-p:InteropGuardPreset=lenient");
            Assert.True(build.ExitCode != 0, build.ToString());
            Assert.Contains("InteropGuardPreset 'lenient' is not a known preset", build.Output);
        }
    }
}
