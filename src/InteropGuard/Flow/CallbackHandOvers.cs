using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Every place in the compilation where one callback is handed to native code, found from the callback's side. A rule
    /// that collects hand-overs per type sees only that type's, and concurrent analysis finishes the types in any order;
    /// a message that names "the first hand-over" must choose among all of them to read the same on every run.
    /// </summary>
    /// <remarks>
    /// A hand-over mentions the callback: its name (a method or local function), its own text (a lambda), a local in
    /// the same member, or a field the callback was stored in. So the search binds only the members that mention one
    /// of those names — the callback's own member, the members using its name, then the members using the fields those
    /// members store into, to the depth <see cref="NativeCallbacks"/> follows stores — and asks
    /// <see cref="NativeCallbacks.HandedOverBy"/> about their calls. Built lazily: a compilation without findings
    /// never pays for it.
    /// </remarks>
    internal sealed class CallbackHandOvers
    {
        private readonly InteropContext _context;
        private readonly NativeCallbacks _callbacks;
        private readonly int _maxStoreDepth;
        private readonly ConcurrentDictionary<string, List<NameUse>> _membersByName = ConcurrentTables.Create<string, List<NameUse>>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<SyntaxNode, ImmutableArray<NativeCallback>> _found = ConcurrentTables.Create<SyntaxNode, ImmutableArray<NativeCallback>>();
        private readonly ConcurrentDictionary<SyntaxTree, List<int>> _unusualCharacters = ConcurrentTables.Create<SyntaxTree, List<int>>();

        public CallbackHandOvers(InteropContext context, NativeCallbacks callbacks, int maxStoreDepth)
        {
            _context = context;
            _callbacks = callbacks;
            _maxStoreDepth = maxStoreDepth;
        }

        /// <summary>
        /// The hand-overs of <paramref name="declaration"/> (a method, local function or lambda) in the compilation's
        /// non-generated code. Depends on the compilation only, never on which caller asks first.
        /// </summary>
        public ImmutableArray<NativeCallback> Of(SyntaxNode declaration, CancellationToken cancellationToken)
            => _found.GetOrAdd(declaration, d => Find(d, cancellationToken));

        private ImmutableArray<NativeCallback> Find(SyntaxNode declaration, CancellationToken cancellationToken)
        {
            var found = ImmutableArray.CreateBuilder<NativeCallback>();
            var visited = new HashSet<MemberDeclarationSyntax>();
            var pending = new List<MemberDeclarationSyntax>();
            if (MemberOf(declaration) is { } own)
            {
                visited.Add(own);
                pending.Add(own);
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            var newNames = new List<string>();
            if (NameOf(declaration) is { } name)
            {
                // Only a member that names the callback without calling it can hand it over, or store it on the way to a
                // hand-over: TorchSharp calls 'CreateArray' from 75 members and hands it over from none of them.
                names.Add(name);
                foreach (var use in MembersUsing(name))
                {
                    if (NamesWithoutCalling(use, name) && visited.Add(use.Member))
                    {
                        pending.Add(use.Member);
                    }
                }
            }

            for (var depth = 0; depth <= _maxStoreDepth; depth++)
            {
                foreach (var newName in newNames)
                {
                    foreach (var use in MembersUsing(newName))
                    {
                        if (visited.Add(use.Member))
                        {
                            pending.Add(use.Member);
                        }
                    }
                }

                newNames.Clear();
                if (pending.Count == 0)
                {
                    break;
                }

                foreach (var member in pending)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Search(member, declaration, names, found, newNames, cancellationToken);
                }

                pending.Clear();
            }

            return found.ToImmutable();
        }

        /// <summary>Adds the hand-overs of <paramref name="declaration"/> in <paramref name="member"/>, and the fields it may be stored in there.</summary>
        private void Search(MemberDeclarationSyntax member, SyntaxNode declaration, HashSet<string> names, ImmutableArray<NativeCallback>.Builder found, List<string> newNames, CancellationToken cancellationToken)
        {
            var tree = member.SyntaxTree;
#pragma warning disable RS1030 // Hand-overs of one callback live in other types' members; each is bound once per compilation.
            var model = _context.Compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            var scope = _context.ForTree(tree);
            foreach (var node in member.DescendantNodesAndSelf())
            {
                switch (node)
                {
                    case InvocationExpressionSyntax call
                        when model.GetOperation(call, cancellationToken) is IInvocationOperation invocation && NativeCallbacks.MayHandOverCallback(invocation.TargetMethod):
                        foreach (var callback in _callbacks.HandedOverBy(invocation, scope, cancellationToken))
                        {
                            if (SameNode(callback.Declaration, declaration))
                            {
                                found.Add(callback);
                            }
                        }

                        break;
                    case VariableDeclaratorSyntax { Initializer: { } initializer } declarator when member is BaseFieldDeclarationSyntax && Mentions(initializer.Value, declaration, names):
                        AddName(declarator.Identifier.ValueText, names, newNames);
                        break;
                    case AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                                                                   && (Mentions(assignment.Right, declaration, names) || assignment.Right is IdentifierNameSyntax)
                                                                   && model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol is IFieldSymbol field
                                                                   && MayHoldDelegate(field.Type):
                        // A local in between ('var d = M; s_d = d;') is why a plain name on the right counts too; the field's
                        // type is why 'handle = h' does not (on TorchSharp that one name pulled in 400 members to bind).
                        AddName(field.Name, names, newNames);
                        break;
                }
            }
        }

        /// <summary>
        /// Can a field of this type hold a delegate that <see cref="NativeCallbacks"/> follows to a callback? Only a type a
        /// delegate converts to without a user-defined operator (which <see cref="OperationTree.SkipConversions"/> does not
        /// look through) and without a cast that always fails at run time: a delegate type, its base classes, an interface,
        /// a type parameter, <c>dynamic</c>, or a type the compiler could not resolve (which may be any of them).
        /// </summary>
        private static bool MayHoldDelegate(ITypeSymbol type)
            => type.TypeKind is TypeKind.Delegate or TypeKind.Interface or TypeKind.TypeParameter or TypeKind.Dynamic or TypeKind.Error
               || type.SpecialType is SpecialType.System_Object or SpecialType.System_Delegate or SpecialType.System_MulticastDelegate;

        private static void AddName(string name, HashSet<string> names, List<string> newNames)
        {
            if (names.Add(name))
            {
                newNames.Add(name);
            }
        }

        /// <summary>Does the member use <paramref name="name"/> other than as the method of a call (<c>M(…)</c>, <c>x.M(…)</c>, <c>x?.M(…)</c>)?</summary>
        /// <remarks>
        /// The search found the member through the tokens at the places the tree's identifier record spells the name. Where
        /// the record holds every identifier of the member (<see cref="RecordHoldsEveryIdentifier"/>), those are all of its
        /// tokens of that name, and only they are read; elsewhere every token of the member is (TorchSharp calls
        /// 'CreateArray' from 75 members, each walked in full to find calls only).
        /// </remarks>
        private bool NamesWithoutCalling(NameUse use, string name)
        {
            if (use.Tokens != null && RecordHoldsEveryIdentifier(use.Member, _context.Vocabulary.Identifiers(use.Member.SyntaxTree)))
            {
                foreach (var token in use.Tokens)
                {
                    if (!IsCalledName(token.Parent))
                    {
                        return true;
                    }
                }

                return false;
            }

            return use.Member.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == name && !IsCalledName(t.Parent));
        }

        /// <summary>
        /// Does the tree's identifier record hold every identifier token of <paramref name="member"/>? Its reader skips from
        /// every <c>//</c> to the next line feed and from every <c>/*</c> to the next <c>*/</c>, strings or not
        /// (<see cref="SkippedComments"/>). With no escape in the tree and no <c>/</c> from the start of the member's first line
        /// to its end, no skip starts there, and none from before ends there (a <c>//</c> skip ends at a line feed before that
        /// line, a <c>/*</c> skip at a <c>*/</c>); one that covered the whole member would have left no run in it, and the
        /// member was found by one. A scan of the member's characters, where the tree's own check
        /// (<see cref="SkippedComments.AreTheTreesComments"/>) looks up every comment of a documented tree.
        /// </summary>
        private static bool RecordHoldsEveryIdentifier(MemberDeclarationSyntax member, TreeIdentifiers identifiers)
        {
            if (identifiers.MaySpellOtherwise)
            {
                return false;
            }

            var text = member.SyntaxTree.GetText();
            var span = member.Span;
            var start = span.Start;
            while (start > 0 && text[start - 1] != '\n')
            {
                start--;
            }

            for (var i = start; i < span.End; i++)
            {
                if (text[i] == '/')
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsCalledName(SyntaxNode? node)
        {
            if (node is not SimpleNameSyntax simple)
            {
                return false;
            }

            SyntaxNode called = simple.Parent is MemberAccessExpressionSyntax access && access.Name == simple
                                || simple.Parent is MemberBindingExpressionSyntax
                ? simple.Parent
                : simple;
            return called.Parent is InvocationExpressionSyntax invocation && invocation.Expression == called;
        }

        private static bool Mentions(SyntaxNode value, SyntaxNode declaration, HashSet<string> names)
            => (value.SyntaxTree == declaration.SyntaxTree && value.Span.Contains(declaration.Span))
               || value.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && names.Contains(t.ValueText));

        private static bool SameNode(SyntaxNode x, SyntaxNode y)
            => x == y || (x.SyntaxTree == y.SyntaxTree && x.Span == y.Span && x.RawKind == y.RawKind);

        private static string? NameOf(SyntaxNode declaration)
            => declaration switch
            {
                MethodDeclarationSyntax method => method.Identifier.ValueText,
                LocalFunctionStatementSyntax local => local.Identifier.ValueText,
                _ => null,
            };

        /// <summary>The method, property, field, … (not a type or namespace) that contains <paramref name="node"/>.</summary>
        private static MemberDeclarationSyntax? MemberOf(SyntaxNode node)
            => node.AncestorsAndSelf().OfType<MemberDeclarationSyntax>().FirstOrDefault(m => !IsContainer(m));

        private static bool IsContainer(SyntaxNode node) => node is BaseNamespaceDeclarationSyntax || node is BaseTypeDeclarationSyntax;

        /// <summary>The members (outside generated code) whose text uses the identifier <paramref name="name"/>.</summary>
        /// <remarks>
        /// Asked for a few names per reported callback, so each is looked up on its own: the per-tree identifier filter
        /// of <see cref="InteropVocabulary"/> rules out most trees without walking their tokens (an index of every
        /// identifier of every member cost TorchSharp more than the rest of the rule). A tree with a Unicode escape is
        /// walked anyway: an escaped identifier is not its text, so the filter cannot vouch for it.
        /// </remarks>
        private List<NameUse> MembersUsing(string name)
            => _membersByName.GetOrAdd(name, FindMembersUsing);

        private List<NameUse> FindMembersUsing(string name)
        {
            var found = new List<NameUse>();
            var hashes = new[] { IdentifierRuns.Hash(name) };
            var words = new[] { name };
            foreach (var tree in _context.Compilation.SyntaxTrees)
            {
                // The vocabulary's record of the tree says whether its identifiers may be spelled otherwise than its text
                // (a \u escape): only then is the text filter no proof, and the tree's tokens are read instead.
                var identifiers = _context.Vocabulary.Identifiers(tree);
                var escaped = identifiers.MaySpellOtherwise;
                if ((!escaped && !identifiers.MayName(hashes)) || GeneratedCode.IsGenerated(tree, CancellationToken.None))
                {
                    continue;
                }

                var root = tree.GetRoot();
                if (escaped)
                {
                    // An identifier reads as the name only where the text spells it (the runs), or through a \u escape or a
                    // character outside ASCII (a formatting character the compiler drops): only a member whose text holds
                    // one of those can use the name, and only those members' tokens are read. Every member of such a tree
                    // (a "\n" in a string marks it) was walked for every name asked: a third of this rule's time on TorchSharp.
                    var spelled = _context.Vocabulary.PositionsOf(tree, hashes, words);
                    var unusual = UnusualCharacters(tree);
                    foreach (var member in root.DescendantNodes(n => n is CompilationUnitSyntax || IsContainer(n)).OfType<MemberDeclarationSyntax>())
                    {
                        if (!IsContainer(member) && (AnyWithin(spelled, member.Span) || AnyWithin(unusual, member.Span))
                            && member.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == name))
                        {
                            found.Add(new NameUse(member, tokens: null));
                        }
                    }

                    continue;
                }

                // Only where an identifier run spells the name can a token be it: the members around those places, in text order.
                foreach (var at in _context.Vocabulary.PositionsOf(tree, hashes, words))
                {
                    var token = root.FindToken(at);
                    if (token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText == name && MemberOf(token.Parent!) is { } member)
                    {
                        if (found.Count == 0 || found[found.Count - 1].Member != member)
                        {
                            found.Add(new NameUse(member, new List<SyntaxToken>()));
                        }

                        found[found.Count - 1].Tokens!.Add(token);
                    }
                }
            }

            return found;
        }

        /// <summary>Where the tree's text holds a backslash or a character outside ASCII, in text order (read once per tree).</summary>
        private List<int> UnusualCharacters(SyntaxTree tree)
            => _unusualCharacters.GetOrAdd(tree, FindUnusualCharacters);

        private static List<int> FindUnusualCharacters(SyntaxTree tree)
        {
            var text = tree.GetText();
            var positions = new List<int>();
            var buffer = new char[4096];
            for (var offset = 0; offset < text.Length; offset += buffer.Length)
            {
                var count = Math.Min(buffer.Length, text.Length - offset);
                text.CopyTo(offset, buffer, 0, count);
                for (var i = 0; i < count; i++)
                {
                    if (buffer[i] == '\\' || buffer[i] >= 128)
                    {
                        positions.Add(offset + i);
                    }
                }
            }

            return positions;
        }

        /// <summary>Does a position of the sorted list fall within <paramref name="span"/>?</summary>
        private static bool AnyWithin(List<int> positions, Microsoft.CodeAnalysis.Text.TextSpan span)
        {
            var index = positions.BinarySearch(span.Start);
            if (index < 0)
            {
                index = ~index;
            }

            return index < positions.Count && positions[index] < span.End;
        }

        /// <summary>A member that uses a name, with the tokens the identifier record found it by (null: the member's tokens were walked).</summary>
        private sealed class NameUse
        {
            public NameUse(MemberDeclarationSyntax member, List<SyntaxToken>? tokens)
            {
                Member = member;
                Tokens = tokens;
            }

            public MemberDeclarationSyntax Member { get; }

            public List<SyntaxToken>? Tokens { get; }
        }
    }
}
