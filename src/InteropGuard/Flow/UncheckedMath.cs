using InteropGuard.Interop;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Framework arithmetic that checks nothing: the methods of <c>System.Numerics</c>' vector, matrix, plane and quaternion
    /// values (<c>Vector3.Cross</c>, <c>Vector3.Transform</c>, <c>Matrix4x4.Transpose</c>, <c>Quaternion.Normalize</c>) and the
    /// floating-point functions of <c>Math</c>/<c>MathF</c> (<c>Math.Abs(double)</c>, <c>Sqrt</c>, <c>Sin</c>): a bad input gives
    /// NaN or infinity, never an exception. A binding converting a transform before its native call, or a debug-draw
    /// callback building points, fails there only by running out of memory.
    /// </summary>
    /// <remarks>
    /// The members that do check are left out by their parameters: an index (<c>GetElement</c>, <c>this[int]</c>,
    /// <c>Matrix4x4.GetRow</c>), an array or span to fill or read (<c>CopyTo</c>, <c>Create(ReadOnlySpan)</c>), a format
    /// string, an enum (<c>Math.Round(x, MidpointRounding)</c>) — any parameter that is not a float, a double or one of these
    /// values; and <c>Matrix4x4.CreatePerspective…</c>, which checks its field of view and planes. <c>Math.Clamp</c> throws when its bounds are crossed, and integer <c>Math.Abs</c> on the smallest value:
    /// neither is taken.
    /// </remarks>
    internal static class UncheckedMath
    {
        public static bool IsUnchecked(IMethodSymbol method)
        {
            var type = method.ContainingType;
            if (type == null || type.DeclaringSyntaxReferences.Length > 0)
            {
                return false;
            }

            if (NamespaceNames.Is(type.ContainingNamespace, "System.Numerics") && IsVectorValue(type))
            {
                // The perspective projections check their field of view and planes (ArgumentOutOfRangeException).
                return method.MethodKind is MethodKind.Ordinary or MethodKind.UserDefinedOperator or MethodKind.Constructor or MethodKind.PropertyGet
                       && !method.Name.StartsWith("CreatePerspective", System.StringComparison.Ordinal) && AllUnchecked(method);
            }

            // Math.Abs(double) and the like: every parameter and the result floating-point (Clamp's crossed bounds throw).
            return type.Name is "Math" or "MathF" && NamespaceNames.Is(type.ContainingNamespace, "System") && method.Name != "Clamp"
                   && method.ReturnType.SpecialType is SpecialType.System_Single or SpecialType.System_Double
                   && method.Parameters.Length > 0 && AllUnchecked(method);
        }

        private static bool AllUnchecked(IMethodSymbol method)
        {
            foreach (var parameter in method.Parameters)
            {
                var type = parameter.Type;
                if (!(type.SpecialType is SpecialType.System_Single or SpecialType.System_Double
                      || (type is INamedTypeSymbol named && NamespaceNames.Is(named.ContainingNamespace, "System.Numerics") && IsVectorValue(named))))
                {
                    return false;
                }
            }

            return method.Name != "get_Item";
        }

        private static bool IsVectorValue(INamedTypeSymbol type)
            => type.IsValueType && type.Name is "Vector2" or "Vector3" or "Vector4" or "Quaternion" or "Plane" or "Matrix3x2" or "Matrix4x4";
    }
}
