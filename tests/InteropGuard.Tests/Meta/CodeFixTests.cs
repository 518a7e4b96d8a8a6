using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Meta
{
    public class CodeFixTests
    {
        [Fact]
        public void CodeFixAssemblyIsTheShippedOne()
        {
            Assert.Equal("InteropGuard.CodeFixes", ProductAssemblies.CodeFixesAssembly.GetName().Name);
        }

        /// <summary><c>dotnet format</c> skips, without a word, a fixer that cannot fix all in Solution scope.</summary>
        [Fact]
        public void EveryCodeFixSupportsFixAllInDocumentProjectAndSolution()
        {
            var failures = new List<string>();
            foreach (var provider in ProductAssemblies.CodeFixProviders)
            {
                var name = provider.GetType().Name;
                var fixAll = provider.GetFixAllProvider();
                if (fixAll == null)
                {
                    failures.Add($"{name}.GetFixAllProvider() returns null");
                    continue;
                }

                var scopes = fixAll.GetSupportedFixAllScopes().ToList();
                foreach (var scope in new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution })
                {
                    if (!scopes.Contains(scope))
                    {
                        failures.Add($"{name}: its Fix All provider does not support {scope} scope");
                    }
                }
            }

            Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        }

        [Fact]
        public void EveryCodeFixIsExportedForCSharpAndFixesCataloguedIds()
        {
            var ids = ProductCatalog.AllDescriptors.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            var failures = new List<string>();
            foreach (var provider in ProductAssemblies.CodeFixProviders)
            {
                var type = provider.GetType();
                if (type.GetCustomAttribute<ExportCodeFixProviderAttribute>()?.Languages.Contains(LanguageNames.CSharp) != true)
                {
                    failures.Add($"{type.Name} has no [ExportCodeFixProvider(LanguageNames.CSharp)]: IDEs and dotnet format will not find it");
                }

                if (provider.FixableDiagnosticIds.IsEmpty)
                {
                    failures.Add($"{type.Name} fixes no diagnostic id");
                }

                failures.AddRange(provider.FixableDiagnosticIds
                    .Where(id => !ids.Contains(id))
                    .Select(id => $"{type.Name} fixes {id}, which has no descriptor"));
            }

            Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        }

        internal static bool HasCodeFix(string id) =>
            ProductAssemblies.CodeFixProviders.Any(p => p.FixableDiagnosticIds.Contains(id));
    }
}
