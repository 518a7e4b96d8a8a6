using System.Linq;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Meta
{
    /// <summary>
    /// dotnet format runs the providers of one id against the tree they were given; a second provider for the same id
    /// then finds its diagnostics stale and changes nothing. So every id has exactly one provider.
    /// </summary>
    public class FixProviderUniquenessTests
    {
        [Fact]
        public void EveryFixableIdHasOneProvider()
        {
            var shared = ProductAssemblies.CodeFixProviders
                .SelectMany(p => p.FixableDiagnosticIds.Select(id => (Id: id, Provider: p.GetType().Name)))
                .GroupBy(x => x.Id)
                .Where(g => g.Count() > 1)
                .Select(g => g.Key + ": " + string.Join(", ", g.Select(x => x.Provider)))
                .ToList();

            Assert.True(shared.Count == 0, "Ids fixed by more than one provider: " + string.Join("; ", shared));
            Assert.Contains(ProductAssemblies.CodeFixProviders, p => p.FixableDiagnosticIds.Contains("IG3004"));
        }
    }
}
