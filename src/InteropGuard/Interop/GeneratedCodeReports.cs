using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The analyzer driver's "is this diagnostic in generated code?", for an analyzer that configures
    /// <see cref="GeneratedCodeAnalysisFlags.ReportDiagnostics"/> (the driver still skips generated code, but no longer
    /// filters reports) and drops them itself. The driver's filter reads, for the first report in each tree, every token
    /// of the tree for the name of <c>[GeneratedCode]</c>; on TorchSharp that scan was a fifth of IG1001's time. This
    /// answers the same question from the declarations around the report, and scans a tree only when one of them carries
    /// the attribute. Same answers as the driver: a tree whose <c>generated_code</c> option says so (else its file name or
    /// an auto-generated header comment), a hidden line (<c>#line hidden</c>), or a declaration around the report marked
    /// <c>[GeneratedCode]</c> itself or through its containing symbols, in a tree that names the attribute.
    /// </summary>
    internal sealed class GeneratedCodeReports
    {
        private readonly Compilation _compilation;
        private readonly AnalyzerConfigOptionsProvider _options;
        private readonly INamedTypeSymbol? _attribute;
        private readonly ConcurrentDictionary<SyntaxTree, TreeFacts> _trees = ConcurrentTables.Create<SyntaxTree, TreeFacts>();
        private readonly ConcurrentDictionary<INamedTypeSymbol, bool> _markedTypes = ConcurrentTables.Create<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);
        private readonly Func<INamedTypeSymbol, bool> _isTypeMarked;

        public GeneratedCodeReports(Compilation compilation, AnalyzerOptions options)
        {
            _compilation = compilation;
            _options = options.AnalyzerConfigOptionsProvider;
            _isTypeMarked = IsTypeMarked;

            // As the driver: no attribute symbol (or more than one) and the attribute is not looked for.
            _attribute = compilation.GetTypeByMetadataName("System.CodeDom.Compiler.GeneratedCodeAttribute");
        }

        /// <summary>Would the driver drop a diagnostic at <paramref name="location"/>, reported while analyzing <paramref name="declared"/>?</summary>
        /// <param name="declared">The member or field whose declaration holds the location, when the caller knows it.</param>
        public bool Drops(Location location, ISymbol? declared, CancellationToken cancellationToken)
        {
            if (!location.IsInSource || location.SourceTree is not { } tree)
            {
                return false;
            }

            var facts = FactsOf(tree, cancellationToken);
            if (facts.Generated || (facts.HasHiddenLines && IsHidden(tree, location.SourceSpan.Start, cancellationToken)))
            {
                return true;
            }

            if (_attribute == null || !MarkedAround(location, declared, cancellationToken))
            {
                return false;
            }

            // The driver looks for marked declarations only in a tree that spells the attribute's name.
            return facts.NamesTheAttribute(cancellationToken);
        }

        /// <summary>
        /// <see cref="Drops"/> for the reports made while analyzing <paramref name="declared"/>, which read its tree's facts
        /// and whether it is marked once, on the first report inside it, for all of them: IG1001 reports a binding's
        /// thousand findings from a few hundred bodies, and each report listed the member's declarations twice.
        /// </summary>
        public MemberReports For(ISymbol declared) => new MemberReports(this, declared);

        private TreeFacts FactsOf(SyntaxTree tree, CancellationToken cancellationToken)
            => _trees.TryGetValue(tree, out var known) ? known : _trees.GetOrAdd(tree, t => new TreeFacts(t, IsGeneratedTree(t, cancellationToken), t.HasHiddenRegions()));

        /// <summary>The compiler's hidden position: on a <c>#line hidden</c> line, or before the first #line directive of a tree that has one.</summary>
        private static bool IsHidden(SyntaxTree tree, int position, CancellationToken cancellationToken)
            => tree.GetLineVisibility(position, cancellationToken) is LineVisibility.Hidden or LineVisibility.BeforeFirstLineDirective;

        /// <summary>
        /// Is a declaration around <paramref name="location"/> marked? The driver asks each ancestor node for the member,
        /// accessor, type or field it declares (not local functions or lambdas); inside <paramref name="declared"/> those
        /// are it, for an accessor its property or event, and the containing types the test walks anyway.
        /// </summary>
        private bool MarkedAround(Location location, ISymbol? declared, CancellationToken cancellationToken)
        {
            if (declared != null && Declares(declared, location))
            {
                return IsMarked(declared) || (declared is IMethodSymbol { AssociatedSymbol: { } associated } && IsMarked(associated));
            }

            // Elsewhere: the declarations of the ancestors, as the driver finds them.
            var tree = location.SourceTree!;
#pragma warning disable RS1030 // Only for a report outside the member being analyzed (IG1001 makes none); the driver's caching provider hands out the tree's model.
            var model = _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            for (var node = tree.GetRoot(cancellationToken).FindNode(location.SourceSpan, getInnermostNodeForTie: true); node != null; node = node.Parent)
            {
                var declares = node is MemberDeclarationSyntax && node is not BaseFieldDeclarationSyntax && node is not BaseNamespaceDeclarationSyntax && node is not GlobalStatementSyntax
                               || node is AccessorDeclarationSyntax
                               || node is VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax }
                               || node is EnumMemberDeclarationSyntax;
                if (declares && model.GetDeclaredSymbol(node, cancellationToken) is { } symbol && IsMarked(symbol))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Is <paramref name="location"/> within a declaration of <paramref name="declared"/>? Asked for every report (IG1001 makes a thousand a round on a binding): a loop, with no closure.</summary>
        private static bool Declares(ISymbol declared, Location location) => Declares(declared.DeclaringSyntaxReferences, location);

        private static bool Declares(ImmutableArray<SyntaxReference> declarations, Location location)
        {
            foreach (var reference in declarations)
            {
                if (reference.SyntaxTree == location.SourceTree && reference.Span.Contains(location.SourceSpan))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Does the symbol, or a symbol containing it, carry <c>[GeneratedCode]</c>? As the driver: namespaces are not
        /// asked, and a symbol declared in more than one place (a partial class) does not count on its own.
        /// </summary>
        private bool IsMarked(ISymbol symbol)
        {
            for (var current = symbol; current != null; current = current.ContainingSymbol)
            {
                // A type's answer, its containing types' included, is kept: IG1001 reports hundreds of calls in one class,
                // often a partial class whose declarations are listed anew on every ask.
                if (current is INamedTypeSymbol type)
                {
                    return _markedTypes.TryGetValue(type, out var known) ? known : _markedTypes.GetOrAdd(type, _isTypeMarked);
                }

                if (IsMarkedItself(current))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The type or a symbol containing it carries the attribute (namespaces are not asked).</summary>
        private bool IsTypeMarked(INamedTypeSymbol type)
        {
            for (ISymbol? current = type; current != null; current = current.ContainingSymbol)
            {
                if (IsMarkedItself(current))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The symbol's own attributes, when it is declared in one place (a partial class does not count on its own).</summary>
        private bool IsMarkedItself(ISymbol symbol)
        {
            if (symbol.Kind == SymbolKind.Namespace || symbol.DeclaringSyntaxReferences.Length > 1)
            {
                return false;
            }

            foreach (var attribute in symbol.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(_attribute, attribute.AttributeClass))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary><c>generated_code</c> where it is set (true or false); otherwise the file name or the header comment.</summary>
        private bool IsGeneratedTree(SyntaxTree tree, CancellationToken cancellationToken)
        {
            if (_options.GetOptions(tree).TryGetValue("generated_code", out var value) && bool.TryParse(value, out var configured))
            {
                return configured;
            }

            return GeneratedCode.IsGenerated(tree, cancellationToken);
        }

        /// <summary>
        /// <see cref="Drops"/> of the reports inside one member, a struct on the analyzing action's stack: what it reads of
        /// the member (its declarations, whether it is marked) and of the last tree asked is kept between reports.
        /// </summary>
        internal struct MemberReports
        {
            private readonly GeneratedCodeReports _reports;
            private readonly ISymbol _declared;
            private SyntaxTree? _tree;
            private TreeFacts? _facts;
            private ImmutableArray<SyntaxReference> _declarations;

            // 0 not read yet, 1 no, 2 yes: the member, or its property or event, carries the attribute.
            private int _marked;

            public MemberReports(GeneratedCodeReports reports, ISymbol declared)
            {
                _reports = reports;
                _declared = declared;
                _tree = null;
                _facts = null;
                _declarations = default;
                _marked = 0;
            }

            /// <summary><see cref="GeneratedCodeReports.Drops"/> of a report at <paramref name="location"/> made while analyzing the member.</summary>
            public bool Drops(Location location, CancellationToken cancellationToken)
            {
                if (!location.IsInSource || location.SourceTree is not { } tree)
                {
                    return false;
                }

                if (tree != _tree)
                {
                    _facts = _reports.FactsOf(tree, cancellationToken);
                    _tree = tree;
                }

                var facts = _facts!;
                if (facts.Generated || (facts.HasHiddenLines && IsHidden(tree, location.SourceSpan.Start, cancellationToken)))
                {
                    return true;
                }

                if (_reports._attribute == null)
                {
                    return false;
                }

                // Inside the member: the member's own answer (MarkedAround's first case), read once. Elsewhere: the declarations around it.
                var marked = InDeclaration(location) ? MemberMarked() : _reports.MarkedAround(location, null, cancellationToken);
                return marked && facts.NamesTheAttribute(cancellationToken);
            }

            private bool InDeclaration(Location location)
            {
                if (_declarations.IsDefault)
                {
                    _declarations = _declared.DeclaringSyntaxReferences;
                }

                return Declares(_declarations, location);
            }

            private bool MemberMarked()
            {
                if (_marked == 0)
                {
                    _marked = _reports.IsMarked(_declared) || (_declared is IMethodSymbol { AssociatedSymbol: { } associated } && _reports.IsMarked(associated)) ? 2 : 1;
                }

                return _marked == 2;
            }
        }

        /// <summary>What is asked once per tree; the attribute scan only when a marked declaration makes it matter.</summary>
        private sealed class TreeFacts
        {
            private readonly SyntaxTree _tree;

            // 0 not scanned yet, 1 no, 2 yes. Concurrent first askers each scan and write the same answer.
            private int _namesTheAttribute;

            public TreeFacts(SyntaxTree tree, bool generated, bool hasHiddenLines)
            {
                _tree = tree;
                Generated = generated;
                HasHiddenLines = hasHiddenLines;
            }

            public bool Generated { get; }

            public bool HasHiddenLines { get; }

            /// <summary>Does a token of the tree spell the attribute's name (the driver's test before it looks for marked declarations)?</summary>
            public bool NamesTheAttribute(CancellationToken cancellationToken)
            {
                var known = Volatile.Read(ref _namesTheAttribute);
                if (known == 0)
                {
                    known = _tree.GetRoot(cancellationToken).DescendantTokens().Any(t => t.ValueText == "GeneratedCode" || t.ValueText == "GeneratedCodeAttribute") ? 2 : 1;
                    Volatile.Write(ref _namesTheAttribute, known);
                }

                return known == 2;
            }
        }
    }
}
