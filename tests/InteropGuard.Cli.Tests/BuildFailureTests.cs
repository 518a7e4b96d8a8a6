namespace InteropGuard.Cli.Tests
{
    /// <summary>Telling a failed build from findings, from the error lines MSBuild prints.</summary>
    public class BuildFailureTests
    {
        [Fact]
        public void ASuccessfulBuildIsNoFailure() => Assert.Null(BuildFailure.Explain("App.csproj", 0, new string[0]));

        [Fact]
        public void InteropGuardErrorsAreFindingsNotABrokenBuild()
        {
            // A project's .editorconfig can raise a rule to error; the build then fails, and its findings are the audit's output.
            var errors = new[] { "/src/A.cs(3,5): error IG3001: Native memory from 'Marshal.AllocHGlobal' ... [/src/App.csproj]" };
            Assert.Null(BuildFailure.Explain("App.csproj", 1, errors));
        }

        [Fact]
        public void ARestoreFailureIsOneLineWithTheNuGetError()
        {
            var errors = new[] { "/src/App.csproj : error NU1101: Unable to find package Foo. No packages exist with this id in source(s): nuget.org [/src/App.csproj]" };
            var text = BuildFailure.Explain("App.csproj", 1, errors);
            Assert.Equal("'App.csproj' does not restore (NU1101: Unable to find package Foo. No packages exist with this id in source(s): nuget.org): fix its package references or package sources until 'dotnet restore' succeeds, then audit again.", text);
        }

        [Fact]
        public void ACompileErrorShowsTheBuildsOwnLines()
        {
            var errors = new[]
            {
                "/src/A.cs(1,30): error CS0029: Cannot implicitly convert type 'string' to 'int' [/src/App.csproj]",
                "/src/A.cs(2,5): error IG3001: a finding [/src/App.csproj]",
            };
            var text = BuildFailure.Explain("App.csproj", 1, errors)!;
            Assert.StartsWith("'App.csproj' does not build (exit code 1); the build's errors:", text);
            Assert.Contains("  /src/A.cs(1,30): error CS0029", text);
            Assert.DoesNotContain("IG3001", text);
            Assert.EndsWith("Fix the build (InteropGuard needs a project that compiles), then audit again.", text);
        }

        [Fact]
        public void AFailureWithoutErrorLinesSaysSo()
            => Assert.Contains("no error line was printed", BuildFailure.Explain("App.csproj", 1, new string[0]));
    }
}
