using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Meta
{
    public class AnalyzerTests
    {
        public static IEnumerable<object[]> Ids => DescriptorTests.Ids;

        [Theory]
        [MemberData(nameof(Ids))]
        public void EveryDescriptorIsSupportedByAnAnalyzer(string id)
        {
            var supporters = ProductAssemblies.Analyzers
                .Where(a => a.SupportedDiagnostics.Any(d => d.Id == id))
                .Select(a => a.GetType().Name)
                .ToList();
            Assert.True(supporters.Count > 0, $"No DiagnosticAnalyzer in {ProductAssemblies.AnalyzersAssembly.GetName().Name} lists {id} in SupportedDiagnostics");
        }

        [Fact]
        public void AnalyzersReportOnlyCataloguedDescriptors()
        {
            var failures = new List<string>();
            foreach (var analyzer in ProductAssemblies.Analyzers)
            {
                foreach (var supported in analyzer.SupportedDiagnostics)
                {
                    var catalogued = ProductCatalog.AllDescriptors.FirstOrDefault(d => d.Id == supported.Id);
                    if (catalogued == null || !catalogued.Equals(supported))
                    {
                        failures.Add($"{analyzer.GetType().Name} supports {supported.Id}, which is not the descriptor in Descriptors.cs");
                    }
                }
            }

            Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        }

        [Fact]
        public void AnalyzersAreExportedForCSharp()
        {
            var failures = ProductAssemblies.Analyzers
                .Select(a => a.GetType())
                .Where(t => t.GetCustomAttribute<DiagnosticAnalyzerAttribute>()?.Languages.Contains(LanguageNames.CSharp) != true)
                .Select(t => $"{t.FullName} has no [DiagnosticAnalyzer(LanguageNames.CSharp)]: compilers and IDEs will not load it")
                .ToList();
            Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        }
    }
}
