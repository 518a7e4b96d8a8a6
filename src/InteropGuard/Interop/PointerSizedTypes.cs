using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The types a native address or handle is kept in as a plain value: <c>IntPtr</c>/<c>nint</c>, <c>UIntPtr</c>/<c>nuint</c>
    /// and data pointers. Wider than <see cref="HandleOwners.IsRawHandleType"/>, which leaves <c>UIntPtr</c> out because
    /// bindings pass sizes in it: the readings that ask this one (a member a finalizer zeroes, a user-data field, a
    /// process-wide handle field) read what a member holds, not what a native parameter means.
    /// </summary>
    internal static class PointerSizedTypes
    {
        public static bool Is(ITypeSymbol? type)
            => type != null && (type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr || type.TypeKind == TypeKind.Pointer);
    }
}
