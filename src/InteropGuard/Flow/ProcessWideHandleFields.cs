using System.Collections.Concurrent;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A private pointer field that holds a process-wide native object its class does not own: every value stored into it
    /// is zero or the result of a native function that takes nothing and whose name says neither that it makes nor that it
    /// ends something (the flat Steam API's <c>SteamAPI_SteamNetworkingUtils_v003()</c>, which hands every caller the same
    /// interface), and its class only compares it, stores into it, or gives it straight to native functions whose names say
    /// they end nothing. Nothing the class runs can then destroy what the field points at, and every other holder of the
    /// same object can call the same functions on it at any time: a finalizer that only gives such a field (with constants)
    /// to such functions releases nothing of its object (<see cref="SilentFinalizers"/>, asked only for a native call a
    /// finalizer's path gives something of the object). A function given the field and anything but constants (a delegate,
    /// a buffer, another field) is not judged here, nor is a field a release, a managed helper, a return or another object
    /// ever receives. Answered once per field per compilation.
    /// </summary>
    internal sealed class ProcessWideHandleFields
    {
        private readonly InteropContext _interop;
        private readonly ConcurrentDictionary<IFieldSymbol, bool> _answers = ConcurrentTables.Create<IFieldSymbol, bool>(SymbolEqualityComparer.Default);

        public ProcessWideHandleFields(InteropContext interop) => _interop = interop;

        /// <summary>Whether <paramref name="field"/> holds only a process-wide object its class never ends (see the type's summary).</summary>
        public bool Holds(IFieldSymbol field)
        {
            field = field.OriginalDefinition;
            return _answers.TryGetValue(field, out var known) ? known : _answers.GetOrAdd(field, Compute);
        }

        /// <summary>Whether the name of <paramref name="function"/> (its method's or its entry point's) says it makes, releases or ends something.</summary>
        public static bool MakesOrEnds(NativeFunction function)
            => HandleFunctionPairs.MakesOrEndsName(function.Method.Name) || HandleFunctionPairs.MakesOrEndsName(function.EntryPoint);

        private bool Compute(IFieldSymbol field)
        {
            if (field.IsStatic || field.DeclaredAccessibility != Accessibility.Private || field.ContainingType is not { } owner
                || !PointerSizedTypes.Is(field.Type))
            {
                return false;
            }

            // Every store: zero, or a native accessor of a process-wide object; an initializer is not read (refused).
            var fromAccessor = false;
            var stores = PrivateFieldStores.All(_interop.Compilation, field, CancellationToken.None, (_, value) =>
            {
                if (value == null)
                {
                    return false;
                }

                if (HandleOwners.IsZero(value))
                {
                    return true;
                }

                if (IsProcessWideAccessor(OperationTree.SkipConversions(value)))
                {
                    fromAccessor = true;
                    return true;
                }

                return false;
            });
            if (!stores || !fromAccessor)
            {
                return false;
            }

            // Every read: compared, or given as it is to a native function that ends nothing.
            foreach (var reference in FieldReferencesInType.Of(_interop.Compilation, field, owner, CancellationToken.None))
            {
                if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                {
                    continue;
                }

                var use = OperationTree.WithConversions(reference);
                var accepted = use.Parent switch
                {
                    IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison
                        => comparison.OperatorMethod is null || comparison.OperatorMethod.ContainingType.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr,
                    IArgumentOperation { Parameter.RefKind: RefKind.None, Parent: IInvocationOperation call } => _interop.NativeFunctions.Get(call.TargetMethod) is { } native && !MakesOrEnds(native),
                    _ => false,
                };
                if (!accepted)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A call of a native function that takes nothing and whose name says neither that it makes nor that it ends something.</summary>
        private bool IsProcessWideAccessor(IOperation value)
            => value is IInvocationOperation { Instance: null, TargetMethod.Parameters.IsEmpty: true } call
               && _interop.NativeFunctions.Get(call.TargetMethod) is { } native && !MakesOrEnds(native);
    }
}
