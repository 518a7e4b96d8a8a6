using System.Collections.Generic;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Where an exception can start. Only calls, creations, awaits and dynamic operations count: treating every
    /// property read or array access as throwing would flag ordinary correct code. Allocation and release calls of the
    /// catalogue are not counted (allocation failure is out of scope, releases do not throw).
    /// </summary>
    internal sealed class ThrowPoints
    {
        private readonly InteropContext _context;
        private readonly AllocationCatalogue _catalogue;

        public ThrowPoints(InteropContext context, AllocationCatalogue catalogue)
        {
            _context = context;
            _catalogue = catalogue;
        }

        /// <summary>The first operation in <paramref name="operation"/> that may throw, skipping <paramref name="excluded"/>.</summary>
        public IOperation? Find(IOperation operation, ISet<IOperation> excluded)
        {
            foreach (var descendant in operation.DescendantsAndSelf())
            {
                if (excluded.Contains(descendant))
                {
                    continue;
                }

                if (IsThrowPoint(descendant))
                {
                    return descendant;
                }
            }

            return null;
        }

        /// <summary>Whether <paramref name="operation"/> itself (not its operands) may throw.</summary>
        public bool IsThrowPoint(IOperation operation)
        {
            switch (operation)
            {
                case IInvocationOperation invocation when MayThrow(invocation.TargetMethod) && !IsWholeSpanView(invocation) && !IsCopyIntoEqualSpan(invocation):
                case IObjectCreationOperation creation when MayThrow(creation):
                case IFunctionPointerInvocationOperation:
                case IAwaitOperation:
                case IDynamicInvocationOperation:
                case IDynamicObjectCreationOperation:
                case IDynamicMemberReferenceOperation:
                    return true;
                default:
                    return false;
            }
        }

        // A struct's default constructor, IntPtr, and a span over memory the caller holds (which throws only for a
        // negative length) are not where real exceptions come from.
        private bool MayThrow(IObjectCreationOperation creation)
        {
            var type = creation.Type;
            if (type == null || !type.IsValueType)
            {
                return true;
            }

            if (creation.Arguments.Length == 0 || type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr)
            {
                return false;
            }

            return !_context.Types.IsSpan(type);
        }

        // array.AsSpan() / AsMemory() without a range: a view of the whole array, which fails only for a covariant
        // array of a reference type, never for the byte and char arrays interop copies.
        private static bool IsWholeSpanView(IInvocationOperation invocation)
            => (invocation.TargetMethod.Name == "AsSpan" || invocation.TargetMethod.Name == "AsMemory")
               && invocation.TargetMethod.ContainingType?.Name == "MemoryExtensions"
               && invocation.Arguments.Length == 1
               && invocation.Arguments[0].Value.Type is IArrayTypeSymbol { ElementType.IsValueType: true };

        /// <summary>
        /// <c>source.CopyTo(new Span&lt;T&gt;(p, source.Length))</c>: the destination is exactly as long as the source, the
        /// only way a span copy fails. This is how allocate-copy-return factories fill the memory they just allocated.
        /// </summary>
        private bool IsCopyIntoEqualSpan(IInvocationOperation invocation)
        {
            if (invocation.TargetMethod.Name != "CopyTo" || invocation.Arguments.Length == 0)
            {
                return false;
            }

            var source = invocation.Instance ?? (invocation.Arguments.Length == 2 ? invocation.Arguments[0].Value : null);
            var destination = OperationTree.SkipConversions(invocation.Arguments[invocation.Arguments.Length - 1].Value);
            if (source == null || !_context.Types.IsSpan(destination.Type) || destination is not IObjectCreationOperation { Arguments.Length: 2 } created)
            {
                return false;
            }

            var length = OperationTree.SkipConversions(created.Arguments[1].Value);
            return length is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } measured }
                   && Root(measured) is { } measuredRoot
                   && Root(source) is { } sourceRoot
                   && SymbolEqualityComparer.Default.Equals(measuredRoot, sourceRoot);
        }

        // The local or parameter a span expression views: data, encoded.AsSpan(), (ReadOnlySpan<byte>)bytes.
        private static ISymbol? Root(IOperation operation)
        {
            operation = Unconverted(operation);
            if (operation is IInvocationOperation { TargetMethod.Name: "AsSpan", Arguments.Length: 1 } view)
            {
                operation = Unconverted(view.Arguments[0].Value);
            }

            return operation switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            };
        }

        // Also through array-to-span operators: the span views the same variable.
        private static IOperation Unconverted(IOperation operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }

        private static bool IsMemoryAccessor(string name)
            => name == "Copy" || name == "SizeOf" || name == "OffsetOf" || name == "StructureToPtr" || name == "PtrToStructure"
               || name.StartsWith("Read", System.StringComparison.Ordinal) || name.StartsWith("Write", System.StringComparison.Ordinal)
               || name.StartsWith("PtrToString", System.StringComparison.Ordinal);

        private bool MayThrow(IMethodSymbol method)
        {
            var type = method.ContainingType;
            if (type != null)
            {
                switch (type.SpecialType)
                {
                    case SpecialType.System_IntPtr:
                    case SpecialType.System_UIntPtr:
                        return false;
                }

                // A GCHandle's own members and DangerousGetHandle read the handle; they throw only when it was already
                // released, which IG3003 reports on its own.
                if ((_context.Types.GCHandle != null && SymbolEqualityComparer.Default.Equals(type, _context.Types.GCHandle) && !method.IsStatic)
                    || (method.Name == "DangerousGetHandle" && _context.Types.IsHandleWrapper(type)))
                {
                    return false;
                }

                if (_context.Types.GC != null && SymbolEqualityComparer.Default.Equals(type, _context.Types.GC)
                    && (method.Name == "KeepAlive" || method.Name == "SuppressFinalize"))
                {
                    return false;
                }

                switch (type.ContainingNamespace?.ToDisplayString() + "." + type.Name)
                {
                    case "System.Runtime.CompilerServices.Unsafe":
                    case "System.Threading.Interlocked":
                    case "System.Threading.Volatile":
                    case "System.Threading.Monitor":
                    case "System.Buffer":
                        return false;
                }

                // Reads and writes of memory the caller already holds fail only on argument bugs or with an access
                // violation that no catch handles; counting them would flag every allocate-copy-return factory.
                if (_context.Types.Marshal != null && SymbolEqualityComparer.Default.Equals(type, _context.Types.Marshal) && IsMemoryAccessor(method.Name))
                {
                    return false;
                }
            }

            return !_catalogue.TryGetAllocator(method, out _) && !_catalogue.TryGetDeallocator(method, out _);
        }
    }
}
