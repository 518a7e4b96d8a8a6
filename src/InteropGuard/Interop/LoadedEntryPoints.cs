using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Native entry points a binding calls through a delegate field it loads by name instead of a <c>[DllImport]</c>:
    /// <c>static d_g_free g_free = FuncLoader.LoadFunction&lt;d_g_free&gt;(FuncLoader.GetProcAddress(lib, "g_free"));</c>.
    /// Invoking the field's delegate calls that entry point, so the allocation catalogue can read it like a P/Invoke.
    /// </summary>
    /// <remarks>
    /// A field counts when its delegate type is marked <c>[UnmanagedFunctionPointer]</c> or its initializer calls
    /// <c>Marshal.GetDelegateForFunctionPointer</c>, and the initializer is a call whose only string literal is a C
    /// identifier (the entry point's name). The answer is keyed by the bound delegate type (what an invocation binds to), so
    /// a delegate type is mapped only when exactly one field of the compilation is declared with it: a type shared by
    /// several fields, or loaded under two names, says nothing; two types of the same name nested in two classes
    /// (each loading its entry point) are two types. Read from syntax once, on first use, and only in trees
    /// that name one of the two markers (outside comments: the vocabulary's gate comes first).
    /// </remarks>
    internal sealed class LoadedEntryPoints
    {
        private static readonly Regex CIdentifier = new Regex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);

        // The markers as whole identifiers (a qualified or attribute-suffixed name is still one of these runs).
        private static readonly string[] Markers = { "UnmanagedFunctionPointer", "UnmanagedFunctionPointerAttribute", "GetDelegateForFunctionPointer" };
        private static readonly int[] MarkerHashes = Array.ConvertAll(Markers, IdentifierRuns.Hash);

        private readonly Compilation _compilation;
        private readonly WellKnownTypes _types;
        private readonly InteropVocabulary _vocabulary;
        private readonly Lazy<Dictionary<ITypeSymbol, string>> _entryPoints;

        public LoadedEntryPoints(Compilation compilation, WellKnownTypes types, InteropVocabulary vocabulary)
        {
            _compilation = compilation;
            _types = types;
            _vocabulary = vocabulary;
            _entryPoints = new Lazy<Dictionary<ITypeSymbol, string>>(Collect, LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>The entry point an invocation of <paramref name="invoke"/> (a delegate's <c>Invoke</c>) calls, or null.</summary>
        public string? EntryPointOf(IMethodSymbol invoke)
            => invoke.MethodKind == MethodKind.DelegateInvoke && invoke.ContainingType != null
               && _entryPoints.Value.TryGetValue(invoke.ContainingType.OriginalDefinition, out var entry)
                ? entry
                : null;

        private Dictionary<ITypeSymbol, string> Collect()
        {
            var found = new Dictionary<ITypeSymbol, string>(SymbolEqualityComparer.Default);
            if (_types.UnmanagedFunctionPointerAttribute == null && _types.Marshal == null)
            {
                return found;
            }

            // How many fields each type name declares (over the marked trees), and the loaded candidates among them.
            var fieldsPerTypeName = new Dictionary<string, int>(StringComparer.Ordinal);
            var candidates = new List<(VariableDeclarationSyntax Declaration, string Entry, bool FromFunctionPointer)>();
            var fieldDeclarations = new List<VariableDeclarationSyntax>();
            foreach (var tree in _compilation.SyntaxTrees)
            {
                if (!NamesAMarker(tree))
                {
                    continue;
                }

                foreach (var field in tree.GetRoot().DescendantNodes(n => n is not BaseMethodDeclarationSyntax && n is not AccessorListSyntax).OfType<FieldDeclarationSyntax>())
                {
                    var declaration = field.Declaration;
                    var typeName = TypeSyntaxNames.Rightmost(declaration.Type);
                    if (typeName == null)
                    {
                        continue;
                    }

                    fieldsPerTypeName[typeName] = (fieldsPerTypeName.TryGetValue(typeName, out var count) ? count : 0) + declaration.Variables.Count;
                    fieldDeclarations.Add(declaration);
                    if (declaration.Variables.Count == 1 && declaration.Variables[0].Initializer?.Value is { } initializer
                        && initializer.DescendantNodesAndSelf().Any(n => n is InvocationExpressionSyntax)
                        && EntryName(initializer) is { } entry)
                    {
                        var fromPointer = initializer.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>()
                            .Any(i => AllocationCandidates.InvokedName(i.Expression) == "GetDelegateForFunctionPointer");
                        candidates.Add((declaration, entry, fromPointer));
                    }
                }
            }

            var ambiguous = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
            Dictionary<ITypeSymbol, int>? fieldsPerSharedType = null;
            foreach (var (declaration, entry, fromPointer) in candidates)
            {
#pragma warning disable RS1030 // Resolved once per compilation, only for fields the syntax shows as loaded entry points.
                var model = _compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
                if (model.GetTypeInfo(declaration.Type).Type is not INamedTypeSymbol { TypeKind: TypeKind.Delegate } type
                    || !(fromPointer || IsUnmanagedDelegate(type)))
                {
                    continue;
                }

                // A name declared by several fields may still be one field per type: bindings declare the same
                // 'd_g_x' delegate type nested in each class that loads g_x. Only then are the fields of that name bound.
                var key = type.OriginalDefinition;
                if (fieldsPerTypeName[TypeSyntaxNames.Rightmost(declaration.Type)!] != 1)
                {
                    fieldsPerSharedType ??= CountFieldsPerType(fieldsPerTypeName, fieldDeclarations);
                    if (!fieldsPerSharedType.TryGetValue(key, out var fields) || fields != 1)
                    {
                        continue;
                    }
                }

                if (found.TryGetValue(key, out var existing) && existing != entry)
                {
                    ambiguous.Add(key);
                }

                found[key] = entry;
            }

            foreach (var type in ambiguous)
            {
                found.Remove(type);
            }

            return found;
        }

        /// <summary>
        /// How many fields each bound type declares, over the fields whose type name more than one field uses: the
        /// few names a binding repeats, bound once, when a loaded candidate is declared with one of them.
        /// </summary>
        private Dictionary<ITypeSymbol, int> CountFieldsPerType(Dictionary<string, int> fieldsPerTypeName, List<VariableDeclarationSyntax> declarations)
        {
            var counts = new Dictionary<ITypeSymbol, int>(SymbolEqualityComparer.Default);
            foreach (var declaration in declarations)
            {
                if (fieldsPerTypeName[TypeSyntaxNames.Rightmost(declaration.Type)!] == 1)
                {
                    continue;
                }

#pragma warning disable RS1030 // Once per compilation, only for the repeated type names of trees that load entry points.
                var model = _compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
                if (model.GetTypeInfo(declaration.Type).Type is { } type)
                {
                    var key = type.OriginalDefinition;
                    counts[key] = (counts.TryGetValue(key, out var count) ? count : 0) + declaration.Variables.Count;
                }
            }

            return counts;
        }

        /// <summary>
        /// Does the tree name a marker outside comments? Both are native-declaration words of the vocabulary, whose per-tree
        /// answer the shared scan has already read; in a binding its identifiers are recorded too, so the markers are looked
        /// up there rather than searched for in the text (on OpenCvSharp the text search of every tree that declares native
        /// functions, the LibraryImport generator's output among them, was a fifth of NativeCallbackException's time). A
        /// tree whose identifiers may be spelt otherwise than its text (<see cref="TreeIdentifiers.MaySpellOtherwise"/>) is
        /// searched as text.
        /// </summary>
        private bool NamesAMarker(SyntaxTree tree)
        {
            if (!_vocabulary.TreeUses(tree, InteropWords.NativeDeclaration))
            {
                return false;
            }

            return _vocabulary.Identifiers(tree).MaySpellOtherwise
                ? IdentifierRuns.Read(tree.GetText(), NamesAMarker)
                : _vocabulary.TreeNames(tree, MarkerHashes, Markers);
        }

        /// <summary>
        /// Does the text hold <c>UnmanagedFunctionPointer</c> or <c>GetDelegateForFunctionPointer</c>? Both end in
        /// <c>FunctionPointer</c>, so one scan for that finds either, instead of a scan of every tree for each.
        /// </summary>
        internal static bool NamesAMarker(ReadOnlySpan<char> text)
        {
            var shared = "FunctionPointer".AsSpan();
            for (var from = 0; from < text.Length;)
            {
                var found = text.Slice(from).IndexOf(shared);
                if (found < 0)
                {
                    return false;
                }

                var at = from + found;
                if (Precedes(text, at, "Unmanaged") || Precedes(text, at, "GetDelegateFor"))
                {
                    return true;
                }

                from = at + 1;
            }

            return false;
        }

        private static bool Precedes(ReadOnlySpan<char> text, int at, string prefix)
            => at >= prefix.Length && text.Slice(at - prefix.Length, prefix.Length).SequenceEqual(prefix.AsSpan());

        /// <summary>The one distinct string literal of the initializer, when it reads as a C identifier.</summary>
        private static string? EntryName(ExpressionSyntax initializer)
        {
            string? entry = null;
            foreach (var literal in initializer.DescendantNodesAndSelf().OfType<LiteralExpressionSyntax>())
            {
                if (!literal.IsKind(SyntaxKind.StringLiteralExpression))
                {
                    continue;
                }

                var value = literal.Token.ValueText;
                if (!CIdentifier.IsMatch(value) || (entry != null && entry != value))
                {
                    return null;
                }

                entry = value;
            }

            return entry;
        }

        private bool IsUnmanagedDelegate(INamedTypeSymbol type)
            => _types.UnmanagedFunctionPointerAttribute != null
               && type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, _types.UnmanagedFunctionPointerAttribute));
    }
}
