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
                if (reference.GetSyntax() is not (VariableDeclaratorSyntax or PropertyDeclarationSyntax) || (reference.GetSyntax() is PropertyDeclarationSyntax property && !IsAutoProperty(property)))
                {
                    return false;
                }
            }

            // Every store, the initializer included, is a replacing encoding or the same member of another instance.
            return MemberWrites.All(_compilation, member, (kind, value) => kind is MemberWriteKind.Initializer or MemberWriteKind.Assignment && IsReplacingStore(value, member));
        }

        private static bool IsAutoProperty(PropertyDeclarationSyntax property)
            => property.ExpressionBody == null && property.AccessorList != null
               && property.AccessorList.Accessors.All(a => a.Body == null && a.ExpressionBody == null);

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
