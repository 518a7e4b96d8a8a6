using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The framework collection a value creates, read from its creation: <c>new List&lt;T&gt;()</c>, or a collection
    /// expression (<c>[]</c>, <c>[1, 2]</c>). A collection expression given to <c>ICollection&lt;T&gt;</c> or
    /// <c>IList&lt;T&gt;</c> creates a <c>List&lt;T&gt;</c> (the language's rule for the mutable interfaces), so a field
    /// declared <c>ICollection&lt;GCHandle&gt; _handles = []</c> holds a list whatever its declared type says.
    /// </summary>
    internal static class CreatedCollections
    {
        private const string List = "System.Collections.Generic.List";

        /// <summary>The namespace-qualified name (without arity) of the framework collection <paramref name="value"/> creates, or null.</summary>
        public static string? Of(IOperation value)
        {
            switch (OperationTree.SkipConversions(value))
            {
                case IObjectCreationOperation { Arguments.Length: 0, Type: INamedTypeSymbol type } when IsFrameworkCollection(type):
                    return FullName(type);
                case ICollectionExpressionOperation { ConstructMethod: null, Type: INamedTypeSymbol { TypeKind: TypeKind.Interface } target }
                    when IsGeneric(target, "ICollection") || IsGeneric(target, "IList"):
                    return List;
                case ICollectionExpressionOperation { ConstructMethod: IMethodSymbol { MethodKind: MethodKind.Constructor, Parameters.Length: 0 }, Type: INamedTypeSymbol type } when IsFrameworkCollection(type):
                    return FullName(type);
                default:
                    return null;
            }
        }

        /// <summary>
        /// Whether creating <paramref name="collection"/> cannot fail: no element, or only constants, into an array or a
        /// framework collection (a builder method or a collection of the compilation runs code that may check something).
        /// </summary>
        public static bool IsQuiet(ICollectionExpressionOperation collection)
        {
            foreach (var element in collection.Elements)
            {
                if (!OperationTree.SkipConversions(element).ConstantValue.HasValue)
                {
                    return false;
                }
            }

            return collection.Type is IArrayTypeSymbol
                   || Of(collection) != null
                   || (collection.ConstructMethod == null && collection.Type is INamedTypeSymbol { TypeKind: TypeKind.Interface } target
                       && NamespaceNames.Is(target.ContainingNamespace, "System.Collections.Generic"));
        }

        private static bool IsFrameworkCollection(INamedTypeSymbol type)
            => NamespaceNames.Is(type.ContainingNamespace, "System.Collections.Generic")
               && type.Name is "List" or "HashSet" or "Queue" or "Stack" or "Dictionary"
               && type.DeclaringSyntaxReferences.IsEmpty;

        private static bool IsGeneric(INamedTypeSymbol type, string name)
            => type.Name == name && type.Arity == 1 && NamespaceNames.Is(type.ContainingNamespace, "System.Collections.Generic");

        private static string FullName(INamedTypeSymbol type) => type.ContainingNamespace?.ToDisplayString() + "." + type.Name;
    }
}
