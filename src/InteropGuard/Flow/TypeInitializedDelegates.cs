using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using InteropGuard.Interop;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A <c>static readonly</c> delegate field its declaration fills with a delegate made on the spot (a lambda, a method
    /// group, <c>new D(M)</c>): <c>static readonly WaitCallback s_callback = f => ...;</c> (FoundationDB's futures, fresh35).
    /// Only the declaring type's initializer may write such a field, and it runs before any code reads a static field of the
    /// type, so outside that initializer the field holds a delegate whenever every store of it — the declaration's and any
    /// in the static constructor — makes one. Still counted: a field that is not <c>readonly</c>, one the declaration leaves
    /// null (a static constructor's store may sit on one branch only), a store of anything else, and a read inside the type's
    /// own static constructor or field initializers, which may run before the store.
    /// </summary>
    internal static class TypeInitializedDelegates
    {
        /// <param name="value">The value read (conversions skipped).</param>
        /// <param name="bound">The operation reading it, in the bound tree: its semantic model gives the compilation.</param>
        public static bool Holds(IOperation value, IOperation? bound)
        {
            if (bound?.SemanticModel is not { } model
                || OperationTree.SkipConversions(value) is not IFieldReferenceOperation
                {
                    Instance: null,
                    Field: { IsStatic: true, IsReadOnly: true, Type.TypeKind: TypeKind.Delegate } read,
                }
                || IsInTypeInitializer(bound, read.ContainingType))
            {
                return false;
            }

            var field = read.OriginalDefinition;
            var compilation = model.Compilation;
            var declared = false;
            var every = PrivateFieldStores.All(compilation, field, System.Threading.CancellationToken.None, (syntax, stored) =>
            {
                if (stored == null)
                {
                    declared = true;
                    stored = compilation.ContainsSyntaxTree(syntax.SyntaxTree) ? InitializerOperation(compilation, syntax) : null;
                }

                return stored != null && InfallibleCalls.IsNewDelegate(stored);
            });
            return every && declared;
        }

        // The declaration's value is handed over as syntax only (PrivateFieldStores); bound here, only for the few fields a
        // thread-pool call is given.
        private static IOperation? InitializerOperation(Compilation compilation, ExpressionSyntax syntax)
        {
#pragma warning disable RS1030 // Once per static delegate field handed to a queueing call.
            return compilation.GetSemanticModel(syntax.SyntaxTree).GetOperation(syntax);
#pragma warning restore RS1030
        }

        // The type's static constructor, or a static field or property initializer of it: code that may run before the store.
        private static bool IsInTypeInitializer(IOperation bound, INamedTypeSymbol? type)
        {
            for (var node = bound.Syntax; node != null; node = node.Parent)
            {
                switch (node)
                {
                    case ConstructorDeclarationSyntax constructor:
                        return constructor.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.StaticKeyword);
                    case FieldDeclarationSyntax or PropertyDeclarationSyntax or EventFieldDeclarationSyntax:
                        return true;
                    case BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax:
                        return false;
                }
            }

            return type != null;
        }
    }
}
