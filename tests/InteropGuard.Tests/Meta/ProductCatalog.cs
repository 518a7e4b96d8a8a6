using System;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Meta
{
    /// <summary>
    /// Every descriptor InteropGuard declares, found by reflection so that a rule added without its docs, release entry
    /// or analyzer cannot slip past the meta tests. The analyzers and fixers themselves come from
    /// <see cref="Verification.ProductAssemblies"/>.
    /// </summary>
    internal static class ProductCatalog
    {
        internal static readonly ImmutableArray<DiagnosticDescriptor> AllDescriptors = typeof(global::InteropGuard.Descriptors)
            .GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(f => f.IsInitOnly && f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Id, StringComparer.Ordinal)
            .ToImmutableArray();
    }
}
