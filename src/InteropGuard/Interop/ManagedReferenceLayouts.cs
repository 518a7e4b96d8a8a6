using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Does a type's memory hold references the GC must see? Answers only what the compiler can prove: type parameters,
    /// <c>object</c>, interfaces and classes whose fields are not visible say "unknown" (null), so rules stay silent.
    /// </summary>
    internal static class ManagedReferenceLayouts
    {
        /// <summary>
        /// For memory of type <paramref name="type"/> (a value stored in place: a local, a struct field, an element), why it
        /// contains managed references — "it is a reference", "field 'Name' is a reference", … — or null when it does not or
        /// we cannot tell.
        /// </summary>
        public static string? ReferencesInPlace(ITypeSymbol? type)
        {
            if (type == null || type.TypeKind == TypeKind.Error || type.TypeKind == TypeKind.TypeParameter || type.TypeKind == TypeKind.Pointer
                || type.TypeKind == TypeKind.FunctionPointer)
            {
                return null;
            }

            if (type.IsReferenceType)
            {
                return "'" + Display(type) + "' is a reference type";
            }

            if (type.IsUnmanagedType || !type.IsValueType)
            {
                return null;
            }

            // A struct that is not unmanaged: name the field that makes it so (a reference, or a struct that holds one).
            // Reference assemblies replace a library struct's private fields with a placeholder: name only source fields.
            // A field whose type did not bind (a missing reference, code being typed) makes the struct look managed whatever
            // it is: we cannot tell.
            if (HasUnboundField((INamedTypeSymbol)type, 0))
            {
                return null;
            }

            var field = type.DeclaringSyntaxReferences.Length > 0 ? ReferenceField((INamedTypeSymbol)type, 0) : null;
            return field != null
                ? "field '" + field + "' of '" + Display(type) + "' holds a managed reference"
                : ContainsTypeParameter(type) ? null : "'" + Display(type) + "' holds managed references";
        }

        /// <summary>
        /// Why <c>GCHandle.Alloc(x, GCHandleType.Pinned)</c> throws for an object whose static type is <paramref name="type"/>,
        /// or null when it does not or we cannot tell. The runtime rejects exactly the objects whose layout contains
        /// references ("Object contains references."); <c>char[]</c>, <c>bool[]</c>, strings and classes of unmanaged
        /// fields pin fine on .NET Core.
        /// </summary>
        public static string? WhyNotPinnable(ITypeSymbol? type)
        {
            switch (type)
            {
                case null:
                    return null;
                case IArrayTypeSymbol array:
                    var element = ReferencesInPlace(array.ElementType);
                    return element == null ? null : "its elements contain references: " + element;
                case INamedTypeSymbol named when named.TypeKind == TypeKind.Struct:
                    return named.IsUnmanagedType || ContainsTypeParameter(named) ? null : ReferencesInPlace(named);
                case INamedTypeSymbol named when named.TypeKind == TypeKind.Delegate:
                    return "a delegate holds a reference to its target";
                case INamedTypeSymbol named when named.TypeKind == TypeKind.Class && named.SpecialType == SpecialType.None:
                    // Private fields of library classes are not visible in reference assemblies: only source classes are judged.
                    for (var t = named; t != null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
                    {
                        if (t.DeclaringSyntaxReferences.Length == 0)
                        {
                            continue;
                        }

                        foreach (var field in InstanceFields(t))
                        {
                            if (field.Type.TypeKind == TypeKind.TypeParameter)
                            {
                                continue;
                            }

                            if (field.Type.TypeKind == TypeKind.Error || (field.Type is INamedTypeSymbol { IsValueType: true } inPlace && HasUnboundField(inPlace, 0)))
                            {
                                return null;
                            }

                            if (field.Type.IsReferenceType || (field.Type.IsValueType && !field.Type.IsUnmanagedType && !ContainsTypeParameter(field.Type)))
                            {
                                return "field '" + FieldName(field) + "' of '" + Display(t) + "' holds a managed reference";
                            }
                        }
                    }

                    return null;
                default:
                    return null;
            }
        }

        private static string? ReferenceField(INamedTypeSymbol type, int depth)
        {
            if (depth > 4)
            {
                return null;
            }

            foreach (var field in InstanceFields(type))
            {
                var fieldType = field.Type;
                if (fieldType.IsReferenceType)
                {
                    return FieldName(field);
                }

                if (fieldType is INamedTypeSymbol nested && nested.IsValueType && !nested.IsUnmanagedType)
                {
                    var inner = ReferenceField(nested, depth + 1);
                    if (inner != null)
                    {
                        return FieldName(field) + "." + inner;
                    }
                }
            }

            return null;
        }

        // A field of a type that did not bind, here or in a struct held in place.
        private static bool HasUnboundField(INamedTypeSymbol type, int depth)
        {
            if (depth > 4 || type.IsUnmanagedType)
            {
                return false;
            }

            foreach (var field in InstanceFields(type))
            {
                if (field.Type.TypeKind == TypeKind.Error
                    || (field.Type is INamedTypeSymbol { IsValueType: true } nested && HasUnboundField(nested, depth + 1)))
                {
                    return true;
                }
            }

            return false;
        }

        // An auto-property's backing field is named after the property, the name the user wrote.
        private static string FieldName(IFieldSymbol field) => field.AssociatedSymbol?.Name ?? field.Name;

        private static System.Collections.Generic.IEnumerable<IFieldSymbol> InstanceFields(INamedTypeSymbol type)
            => type.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst);

        private static bool ContainsTypeParameter(ITypeSymbol type)
            => type.TypeKind == TypeKind.TypeParameter
               || (type is INamedTypeSymbol named && named.TypeArguments.Any(ContainsTypeParameter));

        internal static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
    }
}
