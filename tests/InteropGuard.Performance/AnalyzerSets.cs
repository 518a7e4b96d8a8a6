using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>The two analyzer sets the harness compares: the SDK's NetAnalyzers and every InteropGuard analyzer.</summary>
    internal sealed class AnalyzerSets
    {
        private AnalyzerSets(
            ImmutableArray<DiagnosticAnalyzer> netAnalyzers,
            ImmutableArray<DiagnosticAnalyzer> interopGuard,
            string netAnalyzersSource,
            string netAnalyzersVersion)
        {
            NetAnalyzers = netAnalyzers;
            InteropGuard = interopGuard;
            NetAnalyzersSource = netAnalyzersSource;
            NetAnalyzersVersion = netAnalyzersVersion;
            InteropGuardIds = interopGuard.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id)
                .ToImmutableSortedSet(StringComparer.Ordinal);
        }

        public ImmutableArray<DiagnosticAnalyzer> NetAnalyzers { get; }

        public ImmutableArray<DiagnosticAnalyzer> InteropGuard { get; }

        public ImmutableArray<DiagnosticAnalyzer> Both => NetAnalyzers.AddRange(InteropGuard);

        public ImmutableSortedSet<string> InteropGuardIds { get; }

        public string NetAnalyzersSource { get; }

        public string NetAnalyzersVersion { get; }

        public static AnalyzerSets Load(IReadOnlyList<string> only)
        {
            string directory = Metadata("InteropGuard.Performance.NetAnalyzersDirectory");
            string version = Metadata("InteropGuard.Performance.NetAnalyzersVersion");
            var loader = new DefaultContextLoader();
            var failures = new List<string>();
            var netAnalyzers = ImmutableArray.CreateBuilder<DiagnosticAnalyzer>();
            foreach (string name in new[] { "Microsoft.CodeAnalysis.NetAnalyzers.dll", "Microsoft.CodeAnalysis.CSharp.NetAnalyzers.dll" })
            {
                string path = Path.Combine(directory, name);
                if (!File.Exists(path))
                {
                    throw new InvalidOperationException(
                        $"NetAnalyzers not found at {path}: restore the harness project (dotnet restore tests/InteropGuard.Performance).");
                }

                var reference = new AnalyzerFileReference(path, loader);
                reference.AnalyzerLoadFailed += (_, e) => failures.Add($"{name}: {e.TypeName} {e.Message}");
                netAnalyzers.AddRange(reference.GetAnalyzers(LanguageNames.CSharp));
            }

            if (failures.Count > 0)
            {
                throw new InvalidOperationException("NetAnalyzers failed to load: " + string.Join("; ", failures));
            }

            // Every DiagnosticAnalyzer type in the InteropGuard assembly, in a stable order.
            Assembly interopGuard = Assembly.Load(new AssemblyName("InteropGuard"));
            ImmutableArray<DiagnosticAnalyzer> ours = interopGuard.GetTypes()
                .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type)
                    && type.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp)))
                .OrderBy(type => type.Name, StringComparer.Ordinal)
                .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
                .ToImmutableArray();
            if (ours.IsEmpty)
            {
                throw new InvalidOperationException("No DiagnosticAnalyzer type found in " + interopGuard.GetName().Name);
            }

            if (only.Count > 0)
            {
                string[] unknown = only.Where(name => !ours.Any(a => a.GetType().Name == name)).ToArray();
                if (unknown.Length > 0)
                {
                    throw new UsageException(
                        $"--analyzers: no InteropGuard analyzer named {string.Join(", ", unknown.Select(n => "'" + n + "'"))}; the analyzers are " +
                        string.Join(", ", ours.Select(a => a.GetType().Name)));
                }

                ours = ours.Where(a => only.Contains(a.GetType().Name)).ToImmutableArray();
            }

            return new AnalyzerSets(netAnalyzers.ToImmutable(), ours, directory, version);
        }

        /// <summary>
        /// Compilation-level severities for NetAnalyzers' rules: nothing for the descriptors' defaults, or every rule as a
        /// warning for <see cref="NetAnalyzersRules.All"/>.
        /// </summary>
        public ImmutableDictionary<string, ReportDiagnostic> NetAnalyzersOptions(NetAnalyzersRules rules)
        {
            if (rules == NetAnalyzersRules.Default)
            {
                return ImmutableDictionary<string, ReportDiagnostic>.Empty;
            }

            var builder = ImmutableDictionary.CreateBuilder<string, ReportDiagnostic>();
            foreach (DiagnosticDescriptor descriptor in NetAnalyzers.SelectMany(a => a.SupportedDiagnostics))
            {
                builder[descriptor.Id] = ReportDiagnostic.Warn;
            }

            return builder.ToImmutable();
        }

        /// <summary>How many of NetAnalyzers' distinct rule ids are on with these options.</summary>
        public (int Enabled, int Total) NetAnalyzersRuleCount(NetAnalyzersRules rules)
        {
            var descriptors = NetAnalyzers.SelectMany(a => a.SupportedDiagnostics)
                .GroupBy(d => d.Id, StringComparer.Ordinal)
                .Select(g => g.First())
                .ToList();
            int enabled = rules == NetAnalyzersRules.All
                ? descriptors.Count
                : descriptors.Count(d => d.IsEnabledByDefault);
            return (enabled, descriptors.Count);
        }

        private static string Metadata(string key) =>
            typeof(AnalyzerSets).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == key)?.Value
            ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing; build the harness with its project file.");
    }

    /// <summary>
    /// Loads analyzer assemblies into the default load context, so they bind to the harness's own Roslyn (a newer
    /// version than the one they were compiled against satisfies their references).
    /// </summary>
    internal sealed class DefaultContextLoader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }
}
