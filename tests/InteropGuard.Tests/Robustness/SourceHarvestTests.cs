using System;
using System.Linq;
using System.Threading.Tasks;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>The harvest is the suite's reach: these fail when it silently loses a kind of source or the tests' programs.</summary>
    [Collection(RobustnessCollection.Name)]
    public class SourceHarvestTests
    {
        [Fact]
        public void EveryKindOfSourceIsHarvested()
        {
            var names = SourceHarvest.All.Select(s => s.Name).ToList();
            foreach (var prefix in new[] { "corpus/", "samples/", "docs/", "tests/" })
            {
                Assert.True(names.Count(n => n.StartsWith(prefix, StringComparison.Ordinal)) >= 10, $"Fewer than 10 robustness sources come from {prefix}: the harvest lost them.");
            }

            Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        }

        /// <summary>
        /// Tests build most sources as <c>Prelude + source</c>: a harvest that took the literal alone would mutate
        /// fragments that never compile, and the well-formed fix check would have almost nothing to check.
        /// </summary>
        [Fact]
        public async Task MostTestSourcesAreWholeProgramsThatCompile()
        {
            var tests = (await SourceFindings.AllAsync()).Where(f => f.Source.Name.StartsWith("tests/", StringComparison.Ordinal)).ToList();
            double compiling = tests.Count(f => f.Compiles) / (double)tests.Count;
            Assert.True(compiling >= 0.8, $"Only {compiling:P0} of the {tests.Count} harvested test sources compile.");

            var wrapped = tests.First(f => f.Source.Name.StartsWith("tests/Rules/LastErrorTests.cs:", StringComparison.Ordinal)
                && f.Source.Text.Contains("static int Open(string path)", StringComparison.Ordinal));
            Assert.StartsWith("using System;", wrapped.Source.Text, StringComparison.Ordinal);
            Assert.True(wrapped.Compiles, "The source LastErrorTests passes through Check(Usings + source + Native) does not compile as harvested.");
        }

        [Fact]
        public async Task SamplesCompileWithTheSampleLibrary()
        {
            var samples = (await SourceFindings.AllAsync()).Where(f => f.Source.Name.StartsWith("samples/", StringComparison.Ordinal)).ToList();
            Assert.All(samples, f => Assert.True(f.Compiles, f.Source.Name + " does not compile as harvested."));
        }
    }
}
