using System.Collections.Concurrent;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// An encoding a type keeps in an instance field or auto-property (KeraLua's <c>LuaState.Encoding</c>, set to
    /// <c>Encoding.ASCII</c> by every constructor) replaces invalid input when every value the compilation stores into it
    /// does: a replacing framework encoding (<see cref="InfallibleCalls.IsReplacingEncoding"/>) or the same member of
    /// another instance (<c>Encoding = mainState.Encoding</c>). Then decoding with it fails only if code outside the
    /// compilation installs a strict encoding, which is not the failure of the input a callback processes. A member
    /// with any other store, a getter with a body, or a store that cannot be read counts as an encoding passed in, as
    /// before. The stores are found by name in the syntax of every tree that spells the member's name, bound only there;
    /// answered once per member.
    /// </summary>
    internal sealed class ReplacingEncodingMembers
    {
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<ISymbol, bool> _answers = ConcurrentTables.Create<ISymbol, bool>(SymbolEqualityComparer.Default);

        private ReplacingEncodingMembers(Compilation compilation)
        {
            _compilation = compilation;
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static ReplacingEncodingMembers Of(InteropContext context) => context.Held.Get(c => new ReplacingEncodingMembers(c.Compilation));

        public bool IsReplacing(ISymbol member)
            => member is IFieldSymbol or IPropertySymbol
               && !member.IsStatic
               && SymbolEqualityComparer.Default.Equals(member.ContainingAssembly, _compilation.Assembly)
               && _answers.GetOrAdd(member.OriginalDefinition, Read);

        private bool Read(ISymbol member)
        {
            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                switch (reference.GetSyntax())
                {
                    case PropertyDeclarationSyntax property when IsAutoProperty(property):
                        if (property.Initializer is { } initializer && !IsReplacingStore(initializer.Value, member))
                        {
                            return false;
                        }

                        break;
                    case VariableDeclaratorSyntax field:
                        if (field.Initializer is { } value && !IsReplacingStore(value.Value, member))
                        {
                            return false;
                        }

                        break;
                    default:
                        return false;
                }
            }

            foreach (var tree in _compilation.SyntaxTrees)
            {
                if (tree.GetText().ToString().IndexOf(member.Name, System.StringComparison.Ordinal) < 0)
                {
                    continue;
                }

                SemanticModel? model = null;
                foreach (var node in tree.GetRoot().DescendantNodes())
                {
                    if (!IsNamed(node, member.Name) || !IsWritten(node, out var assigned))
                    {
                        continue;
                    }

#pragma warning disable RS1030 // Once per tree spelling the member's name, once per member; cached.
                    model ??= _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
                    if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(node).Symbol?.OriginalDefinition, member))
                    {
                        continue;
                    }

                    if (assigned == null || !IsReplacingStore(model.GetOperation(assigned), member))
                    {
                        return false;
                    }

                }
            }

            return true;
        }

        private static bool IsAutoProperty(PropertyDeclarationSyntax property)
            => property.ExpressionBody == null && property.AccessorList != null
               && property.AccessorList.Accessors.All(a => a.Body == null && a.ExpressionBody == null);

        private static bool IsNamed(SyntaxNode node, string name)
            => node is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == name;

        // The name is the target of an assignment (assigned: its value), or written another way (ref, out, ++: no value).
        private static bool IsWritten(SyntaxNode name, out ExpressionSyntax? assigned)
        {
            assigned = null;
            SyntaxNode target = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name;
            switch (target.Parent)
            {
                case AssignmentExpressionSyntax assignment when assignment.Left == target:
                    assigned = assignment.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SimpleAssignmentExpression) ? assignment.Right : null;
                    return true;
                case ArgumentSyntax argument when !argument.RefKindKeyword.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.None):
                case PrefixUnaryExpressionSyntax:
                case PostfixUnaryExpressionSyntax:
                    return true;
                default:
                    return false;
            }
        }

        private bool IsReplacingStore(ExpressionSyntax value, ISymbol member)
        {
            if (!_compilation.ContainsSyntaxTree(value.SyntaxTree))
            {
                return false;
            }

#pragma warning disable RS1030 // Once per member initializer; cached.
            return IsReplacingStore(_compilation.GetSemanticModel(value.SyntaxTree).GetOperation(value), member);
#pragma warning restore RS1030
        }

        private static bool IsReplacingStore(IOperation? value, ISymbol member)
        {
            if (value == null)
            {
                return false;
            }

            value = OperationTree.SkipConversions(value);
            return InfallibleCalls.IsReplacingEncoding(value, replacingParameter: null)
                   || (value is IMemberReferenceOperation { Instance: not null } copied && SymbolEqualityComparer.Default.Equals(copied.Member.OriginalDefinition, member));
        }
    }
}
