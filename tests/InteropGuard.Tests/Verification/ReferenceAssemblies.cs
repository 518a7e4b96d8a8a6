using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Verification
{
    /// <summary>
    /// References for in-memory test compilations: the shared framework this test process runs on, taken from
    /// TRUSTED_PLATFORM_ASSEMBLIES (no reference packs can be restored here, and tests must not touch the network).
    /// Only the framework directory is used so the test's own dependencies (xunit, Roslyn) never leak into test code.
    /// </summary>
    public static class ReferenceAssemblies
    {
        // Reading ~170 assemblies' metadata is the most expensive part of a first compilation: do it once per process.
        private static readonly Lazy<ImmutableArray<MetadataReference>> FrameworkReferences =
            new Lazy<ImmutableArray<MetadataReference>>(LoadFramework, LazyThreadSafetyMode.ExecutionAndPublication);

        public static ImmutableArray<MetadataReference> Framework => FrameworkReferences.Value;

        private static ImmutableArray<MetadataReference> LoadFramework()
        {
            var trusted = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string
                ?? throw new InvalidOperationException("TRUSTED_PLATFORM_ASSEMBLIES is not set in this process.");
            string frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)
                ?? throw new InvalidOperationException("Cannot locate the shared framework directory.");

            return trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                    && string.Equals(Path.GetDirectoryName(path), frameworkDirectory, StringComparison.Ordinal))
                .OrderBy(path => path, StringComparer.Ordinal)
                .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
                .ToImmutableArray();
        }
    }
}
