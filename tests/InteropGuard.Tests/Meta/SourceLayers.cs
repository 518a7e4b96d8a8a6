using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Tests.Meta
{
    /// <summary>
    /// Which layer of the analyzer assembly each file belongs to (its first folder under the project: "" for the
    /// project's own top, "Interop", "Flow", "Rules", ...) and which layers each file's code refers to. A reference is
    /// any symbol the semantic model binds in the file — a type named or only inferred (<c>var</c>, a lambda parameter,
    /// an expression's type), a member, an extension method, a namespace in a <c>using</c> — so a dependency cannot
    /// hide behind a fully qualified name or type inference, and an unused <c>using</c> of a higher layer counts too.
    /// </summary>
    internal sealed class SourceLayers
    {
        private readonly Compilation compilation;

        private SourceLayers(Compilation compilation)
        {
            this.compilation = compilation;
        }

        public IReadOnlyList<Diagnostic> Errors => compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

        /// <summary>The analyzer project's own sources, read from the checkout, compiled in memory against Roslyn.</summary>
        public static SourceLayers OfTheAnalyzer()
        {
            var project = RepositoryRoot.Combine("src", "InteropGuard");
            var files = Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(project, p).Replace(Path.DirectorySeparatorChar, '/'))
                .Where(p => !p.StartsWith("bin/", StringComparison.Ordinal) && !p.StartsWith("obj/", StringComparison.Ordinal))
                .OrderBy(p => p, StringComparer.Ordinal)
                .ToDictionary(p => p, p => File.ReadAllText(Path.Combine(project, p)));
            return Compile(files);
        }

        /// <summary>Files given by path relative to the project (e.g. "Interop/A.cs") and text.</summary>
        public static SourceLayers Compile(IReadOnlyDictionary<string, string> files)
        {
            var parse = new CSharpParseOptions(LanguageVersion.Latest);
            var trees = files.Select(f => CSharpSyntaxTree.ParseText(f.Value, parse, f.Key));
            var references = ReferenceAssemblies.Framework
                .Add(MetadataReference.CreateFromFile(typeof(SyntaxNode).Assembly.Location))
                .Add(MetadataReference.CreateFromFile(typeof(CSharpSyntaxTree).Assembly.Location));
            var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable);
            return new SourceLayers(CSharpCompilation.Create("InteropGuard", trees, references, options));
        }

        /// <summary>The first folder of a project-relative path; "" for a file at the project's top.</summary>
        public static string LayerOf(string path)
        {
            var slash = path.IndexOf('/');
            return slash < 0 ? string.Empty : path.Substring(0, slash);
        }

        /// <summary>Types declared in a folder whose namespace is not the folder's (InteropGuard, InteropGuard.Interop, ...).</summary>
        public IEnumerable<string> MisplacedTypes()
        {
            foreach (var tree in compilation.SyntaxTrees)
            {
                var expected = LayerOf(tree.FilePath).Length == 0 ? "InteropGuard" : "InteropGuard." + LayerOf(tree.FilePath);
                var model = compilation.GetSemanticModel(tree);
                foreach (var declaration in tree.GetRoot().DescendantNodes().OfType<BaseTypeDeclarationSyntax>())
                {
                    var type = model.GetDeclaredSymbol(declaration);
                    if (type != null && type.ContainingType == null && type.ContainingNamespace.ToDisplayString() != expected)
                    {
                        yield return $"{tree.FilePath}: {type.Name} is in namespace {type.ContainingNamespace.ToDisplayString()}, not {expected}";
                    }
                }
            }
        }

        /// <summary>
        /// Every reference from a file of a checked layer to a layer it may not use, as "file: uses Layer/File.cs (Symbol)",
        /// once per file and referenced symbol. <paramref name="allowed"/> maps each checked layer to the layers it may use.
        /// </summary>
        public IReadOnlyList<string> Violations(IReadOnlyDictionary<string, string[]> allowed)
        {
            var found = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var tree in compilation.SyntaxTrees)
            {
                var layer = LayerOf(tree.FilePath);
                if (!allowed.TryGetValue(layer, out var permitted))
                {
                    continue;
                }

                var model = compilation.GetSemanticModel(tree);
                foreach (var symbol in Referenced(model, tree.GetRoot()))
                {
                    foreach (var (target, name) in Owners(symbol))
                    {
                        if (!permitted.Contains(target))
                        {
                            found.Add($"{tree.FilePath}: uses {(target.Length == 0 ? "the project top" : target + "/")} ({name})");
                        }
                    }
                }
            }

            return found.ToList();
        }

        private static IEnumerable<ISymbol> Referenced(SemanticModel model, SyntaxNode root)
        {
            foreach (var node in root.DescendantNodesAndSelf())
            {
                var info = model.GetSymbolInfo(node);
                if (info.Symbol != null)
                {
                    yield return info.Symbol;
                }

                foreach (var candidate in info.CandidateSymbols)
                {
                    yield return candidate;
                }

                if (node is ExpressionSyntax expression)
                {
                    var type = model.GetTypeInfo(expression);
                    if (type.Type != null)
                    {
                        yield return type.Type;
                    }

                    if (type.ConvertedType != null)
                    {
                        yield return type.ConvertedType;
                    }

                    if (model.GetConversion(expression).MethodSymbol is { } conversion)
                    {
                        yield return conversion;
                    }
                }

                // What a declaration brings in without naming it: an inferred local, an untyped lambda parameter.
                switch (model.GetDeclaredSymbol(node))
                {
                    case ILocalSymbol local:
                        yield return local.Type;
                        break;
                    case IParameterSymbol parameter:
                        yield return parameter.Type;
                        break;
                }
            }
        }

        /// <summary>The layers (with a display name) that declare <paramref name="symbol"/> and the types it is built from.</summary>
        private IEnumerable<(string Layer, string Name)> Owners(ISymbol symbol) => symbol switch
        {
            INamespaceSymbol ns => OfNamespace(ns.ToDisplayString()),
            IArrayTypeSymbol array => Owners(array.ElementType),
            IPointerTypeSymbol pointer => Owners(pointer.PointedAtType),
            INamedTypeSymbol type => type.TypeArguments.SelectMany(Owners).Concat(Declared(type.OriginalDefinition)),
            IMethodSymbol method => method.TypeArguments.SelectMany(Owners).Concat(OfMember(method.ReducedFrom ?? method)),
            IFieldSymbol or IPropertySymbol or IEventSymbol => OfMember(symbol),
            _ => Enumerable.Empty<(string, string)>(),
        };

        private static IEnumerable<(string Layer, string Name)> OfNamespace(string name)
            => name.StartsWith("InteropGuard.", StringComparison.Ordinal)
                ? new[] { (name.Substring("InteropGuard.".Length).Split('.')[0], "namespace " + name) }
                : Enumerable.Empty<(string, string)>();

        private IEnumerable<(string Layer, string Name)> OfMember(ISymbol member)
            => member.OriginalDefinition.ContainingType is { } type
                ? Declared(type).Select(owner => (owner.Layer, owner.Name + "." + member.Name))
                : Enumerable.Empty<(string, string)>();

        private IEnumerable<(string Layer, string Name)> Declared(INamedTypeSymbol type)
        {
            if (!SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, compilation.Assembly))
            {
                yield break;
            }

            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                yield return (LayerOf(reference.SyntaxTree.FilePath), reference.SyntaxTree.FilePath + " " + type.Name);
            }
        }
    }
}
