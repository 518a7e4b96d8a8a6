using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Whether a name is spelled in the declaration of one of the compilation's release paths (<see cref="ReleasePaths"/>),
    /// or in the declaration of a method whose name is, which <see cref="DisposerOnlyMethods"/> may read one level up: a
    /// call is made inside its caller's declaration and spells the name it calls, so a method called only by release paths
    /// (or only by methods they call) has its name spelled there. A method whose name is in neither is answered "not only
    /// called to release" without the compilation-wide search for its callers (<see cref="MethodCallers"/>), which binds
    /// every name in the compilation spelled like it: on a binding, most methods with a finding are helpers called from
    /// everywhere but Dispose.
    /// <para>
    /// Read per name, on its first ask, from the places the name is spelled (the vocabulary's record of each tree) and
    /// the declarations around them: a binding asks about a few names (TorchSharp: 9 methods for 1,196 findings), where
    /// the names of every release path's declaration, and one level up of every method those name, were read for them
    /// once per compilation. The answer may be yes where those sets said no (a declaration around the name is read by
    /// its kind and name alone), never the other way: every identifier of such a declaration is a place the name is
    /// spelled with that declaration around it. The names are a filter in front of the callers' search, which still
    /// answers for every method that passes, so a larger yes gives the same findings.
    /// </para>
    /// </summary>
    internal sealed class ReleasePathNames
    {
        private readonly InteropContext _context;

        // Per name, kept for the compilation: a finding's method is asked about at each of its findings.
        private readonly ConcurrentDictionary<string, bool> _inReleasePaths = ConcurrentTables.Create<string, bool>();
        private readonly ConcurrentDictionary<string, bool> _inCallees = ConcurrentTables.Create<string, bool>();

        // A tree whose identifiers may be spelled otherwise than its text (a run after a backslash: any "\n" in a string)
        // is read token by token: once, into the positions of each identifier by its name, not once per name asked.
        private readonly ConcurrentDictionary<SyntaxTree, Dictionary<string, List<int>>> _spelledOtherwise = ConcurrentTables.Create<SyntaxTree, Dictionary<string, List<int>>>();
        private readonly Func<SyntaxTree, Dictionary<string, List<int>>> _readTokens = tree => IdentifierPositions(tree);

        private ReleasePathNames(InteropContext context)
        {
            _context = context;
        }

        /// <summary>The compilation's reading, held by its context.</summary>
        public static ReleasePathNames Of(InteropContext context) => context.Held.Get(c => new ReleasePathNames(c));

        /// <summary>Is <paramref name="name"/> spelled in the declaration of a release path?</summary>
        public bool InReleasePath(string name, CancellationToken cancellationToken)
            => _inReleasePaths.TryGetValue(name, out var known) ? known : _inReleasePaths.GetOrAdd(name, SpelledWithin(name, IsReleasePath, cancellationToken));

        /// <summary>
        /// Is <paramref name="name"/> spelled in the declaration of a release path, or of a method whose name is (which
        /// <see cref="DisposerOnlyMethods"/> may read as only called to release)?
        /// </summary>
        public bool InReleasePathOrItsCallees(string name, CancellationToken cancellationToken)
            => InReleasePath(name, cancellationToken)
               || (_inCallees.TryGetValue(name, out var known) ? known
                   : _inCallees.GetOrAdd(name, SpelledWithin(name, declaration => DeclaresMethodNamedInReleasePath(declaration, cancellationToken), cancellationToken)));

        /// <summary>
        /// A release path's declaration, by kind and name: a method or local function named as one, a finalizer, a static
        /// constructor (<see cref="ReleasePaths.Is"/>, read from syntax).
        /// </summary>
        private static bool IsReleasePath(SyntaxNode node)
            => node switch
            {
                MethodDeclarationSyntax method => ReleasePaths.Names.Contains(method.Identifier.ValueText),
                LocalFunctionStatementSyntax function => ReleasePaths.Names.Contains(function.Identifier.ValueText),
                DestructorDeclarationSyntax => true,
                ConstructorDeclarationSyntax constructor => constructor.Modifiers.Any(SyntaxKind.StaticKeyword),
                _ => false,
            };

        /// <summary>
        /// The declaration of a method whose name is spelled in a release path: a method declaration (a partial method's
        /// implementing part included), or a record's, which declares the methods the compiler adds to it (its
        /// non-public <c>PrintMembers</c>): taken as one whatever the release paths spell.
        /// </summary>
        private bool DeclaresMethodNamedInReleasePath(SyntaxNode node, CancellationToken cancellationToken)
            => node switch
            {
                MethodDeclarationSyntax method => InReleasePath(method.Identifier.ValueText, cancellationToken),
                RecordDeclarationSyntax => true,
                _ => false,
            };

        /// <summary>
        /// Is <paramref name="name"/> spelled as an identifier with a node around it that <paramref name="around"/> accepts?
        /// Looked for where the tree's identifiers spell the name, or, in a tree whose identifiers may be spelled otherwise
        /// than its text, in every token.
        /// </summary>
        private bool SpelledWithin(string name, System.Func<SyntaxNode, bool> around, CancellationToken cancellationToken)
        {
            var vocabulary = _context.Vocabulary;
            var hashes = new[] { IdentifierRuns.Hash(name) };
            var names = new[] { name };
            foreach (var tree in _context.Compilation.SyntaxTrees)
            {
                var identifiers = vocabulary.Identifiers(tree);
                if (!identifiers.MaySpellOtherwise && !identifiers.MayName(hashes))
                {
                    continue;
                }

                var root = tree.GetRoot(cancellationToken);
                IReadOnlyList<int> positions;
                if (identifiers.MaySpellOtherwise)
                {
                    var byName = _spelledOtherwise.TryGetValue(tree, out var read) ? read : _spelledOtherwise.GetOrAdd(tree, _readTokens);
                    if (!byName.TryGetValue(name, out var spelled))
                    {
                        continue;
                    }

                    positions = spelled;
                }
                else
                {
                    positions = vocabulary.PositionsOf(tree, hashes, names);
                }

                foreach (var position in positions)
                {
                    var token = root.FindToken(position);
                    if (token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText == name && token.Parent is { } parent)
                    {
                        foreach (var node in parent.AncestorsAndSelf())
                        {
                            if (around(node))
                            {
                                return true;
                            }
                        }
                    }
                }
            }

            return false;
        }

        /// <summary>Where each identifier of the tree is spelled (its tokens, not its text), by the name the compiler reads.</summary>
        private static Dictionary<string, List<int>> IdentifierPositions(SyntaxTree tree)
        {
            var byName = new Dictionary<string, List<int>>();
            foreach (var token in tree.GetRoot().DescendantTokens())
            {
                if (token.IsKind(SyntaxKind.IdentifierToken))
                {
                    if (!byName.TryGetValue(token.ValueText, out var positions))
                    {
                        byName.Add(token.ValueText, positions = new List<int>(1));
                    }

                    positions.Add(token.SpanStart);
                }
            }

            return byName;
        }
    }
}
