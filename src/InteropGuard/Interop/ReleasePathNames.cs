using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The names spelled in the declarations of the compilation's release paths (<see cref="ReleasePaths"/>), and in the
    /// declarations of the methods those name that <see cref="DisposerOnlyMethods"/> may read one level up: a call is
    /// made inside its caller's declaration and spells the name it calls, so a method called only by release paths (or
    /// only by methods they call) has its name in these sets. A method whose name is in neither is answered "not only
    /// called to release" without the compilation-wide search for its callers (<see cref="MethodCallers"/>), which binds
    /// every name in the compilation spelled like it: on a binding, most methods with a finding are helpers called from
    /// everywhere but Dispose. Read once per compilation, on the first ask: the release paths by name found where the
    /// identifiers of a tree spell them (local functions included, which no declaration table lists), finalizers and
    /// static constructors from each tree's type declarations, and the methods one level up from the declaration table.
    /// </summary>
    internal sealed class ReleasePathNames
    {
        private static readonly int[] NameHashes = ReleasePaths.Names.Select(IdentifierRuns.Hash).ToArray();

        private readonly InteropContext _context;
        private Sets? _sets;

        private ReleasePathNames(InteropContext context)
        {
            _context = context;
        }

        /// <summary>The compilation's one reading, held by its context.</summary>
        public static ReleasePathNames Of(InteropContext context) => context.Held.Get(c => new ReleasePathNames(c));

        /// <summary>Is <paramref name="name"/> spelled in the declaration of a release path?</summary>
        public bool InReleasePath(string name, CancellationToken cancellationToken) => Read(cancellationToken).InReleasePaths.Contains(name);

        /// <summary>
        /// Is <paramref name="name"/> spelled in the declaration of a release path, or of a method whose name is there and
        /// that <see cref="DisposerOnlyMethods"/> may read as only called to release (<see cref="DisposerOnlyMethods.MayBeOne"/>)?
        /// </summary>
        public bool InReleasePathOrItsCallees(string name, CancellationToken cancellationToken)
        {
            var sets = Read(cancellationToken);
            return sets.InReleasePaths.Contains(name) || sets.InCallees.Contains(name);
        }

        private Sets Read(CancellationToken cancellationToken)
        {
            // Concurrent first askers each read the same sets and keep one.
            if (Volatile.Read(ref _sets) is { } known)
            {
                return known;
            }

            var compilation = _context.Compilation;
            var inReleasePaths = new HashSet<string>();
            foreach (var tree in compilation.SyntaxTrees)
            {
                foreach (var declaration in NamedReleasePaths(tree, cancellationToken))
                {
                    AddNames(declaration, inReleasePaths);
                }

                // Finalizers and static constructors (the declaration table's search by name lists neither), read from the
                // tree's type declarations: no body is walked and no type's members are listed, where asking each type of
                // the compilation for them walked the declaration table and looked every type up. A static constructor the
                // compiler adds for static field initializers has no declaration to spell names in. A declaration the
                // compiler might make no method of (a finalizer where none is allowed) only adds names: the sets are a
                // filter in front of the callers' search, which still answers.
                AddStaticConstructorsAndFinalizers(tree.GetRoot(cancellationToken), inReleasePaths);
            }

            var inCallees = new HashSet<string>();
            foreach (var symbol in compilation.GetSymbolsWithName(inReleasePaths.Contains, SymbolFilter.Member, cancellationToken))
            {
                if (symbol is IMethodSymbol method && DisposerOnlyMethods.MayBeOne(method))
                {
                    AddDeclarations(method, inCallees, cancellationToken);
                }
            }

            var sets = new Sets(inReleasePaths, inCallees);
            Interlocked.CompareExchange(ref _sets, sets, null);
            return Volatile.Read(ref _sets)!;
        }

        /// <summary>
        /// The methods and local functions of the tree named as release paths are: where the tree's identifiers spell the
        /// names, or, in a tree whose identifiers may be spelled otherwise than its text, wherever they are declared.
        /// </summary>
        private IEnumerable<SyntaxNode> NamedReleasePaths(SyntaxTree tree, CancellationToken cancellationToken)
        {
            var vocabulary = _context.Vocabulary;
            var identifiers = vocabulary.Identifiers(tree);
            if (!identifiers.MaySpellOtherwise && !identifiers.MayName(NameHashes))
            {
                yield break;
            }

            var root = tree.GetRoot(cancellationToken);
            var candidates = identifiers.MaySpellOtherwise
                ? root.DescendantTokens()
                : vocabulary.PositionsOf(tree, NameHashes, ReleasePaths.Names).Select(position => root.FindToken(position));
            foreach (var token in candidates)
            {
                var declaration = token.Parent switch
                {
                    MethodDeclarationSyntax method when method.Identifier == token => method,
                    LocalFunctionStatementSyntax function when function.Identifier == token => (SyntaxNode)function,
                    _ => null,
                };
                if (declaration != null && ReleasePaths.Names.Contains(token.ValueText))
                {
                    yield return declaration;
                }
            }
        }

        /// <summary>The names spelled in the finalizers and static constructors declared in <paramref name="container"/>'s types, nested ones included.</summary>
        private static void AddStaticConstructorsAndFinalizers(SyntaxNode container, HashSet<string> names)
        {
            var members = container switch
            {
                CompilationUnitSyntax unit => unit.Members,
                BaseNamespaceDeclarationSyntax space => space.Members,
                TypeDeclarationSyntax type => type.Members,
                _ => default,
            };
            foreach (var member in members)
            {
                switch (member)
                {
                    case DestructorDeclarationSyntax:
                    case ConstructorDeclarationSyntax constructor when constructor.Modifiers.Any(SyntaxKind.StaticKeyword):
                        AddNames(member, names);
                        break;
                    case BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax:
                        AddStaticConstructorsAndFinalizers(member, names);
                        break;
                }
            }
        }

        // A partial method's calls are made in its implementing part, which the declaration table does not list.
        private static void AddDeclarations(IMethodSymbol method, HashSet<string> names, CancellationToken cancellationToken)
        {
            foreach (var part in method.PartialImplementationPart is { } implementation ? new[] { method, implementation } : new[] { method })
            {
                foreach (var reference in part.DeclaringSyntaxReferences)
                {
                    AddNames(reference.GetSyntax(cancellationToken), names);
                }
            }
        }

        private static void AddNames(SyntaxNode declaration, HashSet<string> names)
        {
            foreach (var token in declaration.DescendantTokens())
            {
                if (token.IsKind(SyntaxKind.IdentifierToken))
                {
                    names.Add(token.ValueText);
                }
            }
        }

        private sealed class Sets
        {
            public Sets(HashSet<string> inReleasePaths, HashSet<string> inCallees)
            {
                InReleasePaths = inReleasePaths;
                InCallees = inCallees;
            }

            /// <summary>The identifiers spelled in the declarations of release paths.</summary>
            public HashSet<string> InReleasePaths { get; }

            /// <summary>The identifiers spelled in the declarations of the methods (<see cref="DisposerOnlyMethods.MayBeOne"/>) named in <see cref="InReleasePaths"/>.</summary>
            public HashSet<string> InCallees { get; }
        }
    }
}
