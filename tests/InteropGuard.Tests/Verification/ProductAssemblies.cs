using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Verification
{
    /// <summary>Every analyzer and code fix provider InteropGuard ships, for tests that must cover all of them.</summary>
    public static class ProductAssemblies
    {
        public const string CodeFixesAssemblyName = "InteropGuard.CodeFixes";

        private static readonly Lazy<IReadOnlyList<DiagnosticAnalyzer>> AnalyzerInstances =
            new Lazy<IReadOnlyList<DiagnosticAnalyzer>>(() => Instantiate<DiagnosticAnalyzer>(typeof(Descriptors).Assembly));

        private static readonly Lazy<IReadOnlyList<CodeFixProvider>> CodeFixInstances =
            new Lazy<IReadOnlyList<CodeFixProvider>>(() => Instantiate<CodeFixProvider>(LoadCodeFixes()));

        public static Assembly AnalyzersAssembly => typeof(Descriptors).Assembly;

        /// <summary>Loaded by name: the test assembly may have no compile-time use of it, yet it is deployed beside the tests.</summary>
        public static Assembly CodeFixesAssembly => LoadCodeFixes();

        /// <summary>One instance of every non-abstract analyzer type. Analyzers hold no mutable state, so sharing is safe.</summary>
        public static IReadOnlyList<DiagnosticAnalyzer> Analyzers => AnalyzerInstances.Value;

        public static IReadOnlyList<CodeFixProvider> CodeFixProviders => CodeFixInstances.Value;

        private static Assembly LoadCodeFixes()
        {
            var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == CodeFixesAssemblyName);
            if (loaded != null)
            {
                return loaded;
            }

            try
            {
                return Assembly.Load(new AssemblyName(CodeFixesAssemblyName));
            }
            catch (FileNotFoundException)
            {
                string path = Path.Combine(AppContext.BaseDirectory, CodeFixesAssemblyName + ".dll");
                return Assembly.LoadFrom(path);
            }
        }

        private static IReadOnlyList<T> Instantiate<T>(Assembly assembly)
        {
            Type?[] types;
            try
            {
                types = assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException exception)
            {
                throw new InvalidOperationException($"Cannot load the types of {assembly.GetName().Name}: {string.Join("; ", exception.LoaderExceptions.Select(e => e?.Message))}", exception);
            }

            return types
                .Where(t => t != null && typeof(T).IsAssignableFrom(t) && !t.IsAbstract && !t.ContainsGenericParameters)
                .Select(t => t!)
                .OrderBy(t => t.FullName, StringComparer.Ordinal)
                .Select(t => (T)Activator.CreateInstance(t, nonPublic: true)!)
                .ToList();
        }
    }
}
