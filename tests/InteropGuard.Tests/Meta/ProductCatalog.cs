using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Meta
{
    /// <summary>
    /// What the shipped assemblies declare, found by reflection so that a rule added without its docs, release entry or
    /// analyzer cannot slip past the meta tests.
    /// </summary>
    internal static class ProductCatalog
    {
        internal static readonly Assembly AnalyzerAssembly = typeof(global::InteropGuard.Descriptors).Assembly;

        internal static readonly Assembly CodeFixAssembly = Assembly.Load("InteropGuard.CodeFixes");

        internal static readonly ImmutableArray<DiagnosticDescriptor> AllDescriptors = typeof(global::InteropGuard.Descriptors)
            .GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(f => f.IsInitOnly && f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Id, StringComparer.Ordinal)
            .ToImmutableArray();

        internal static ImmutableArray<DiagnosticAnalyzer> CreateAnalyzers() =>
            Instantiate<DiagnosticAnalyzer>(AnalyzerAssembly);

        internal static ImmutableArray<CodeFixProvider> CreateCodeFixProviders() =>
            Instantiate<CodeFixProvider>(CodeFixAssembly);

        internal static IEnumerable<Type> ConcreteSubclassesOf<T>(Assembly assembly) =>
            LoadableTypes(assembly).Where(t => typeof(T).IsAssignableFrom(t) && t.IsClass && !t.IsAbstract);

        private static ImmutableArray<T> Instantiate<T>(Assembly assembly) =>
            ConcreteSubclassesOf<T>(assembly)
                .OrderBy(t => t.FullName, StringComparer.Ordinal)
                .Select(t => (T)Activator.CreateInstance(t, nonPublic: true)!)
                .ToImmutableArray();

        private static IEnumerable<Type> LoadableTypes(Assembly assembly)
        {
            try
            {
                return assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException e)
            {
                return e.Types.Where(t => t != null)!;
            }
        }
    }
}
