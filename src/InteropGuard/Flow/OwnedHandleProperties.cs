using System.Collections.Concurrent;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The handle an object of this compilation owns, as a <c>FileStream</c> owns its <c>SafeFileHandle</c>: a SafeHandle
    /// property of a class of the compilation that reads a private field of the object (an auto-property with no setter or
    /// a private one, or a getter that returns a private field), and that the class's own <c>Dispose()</c> or
    /// <c>Dispose(bool)</c> closes (<c>Handle.Close()</c>, <c>Handle.Dispose()</c>). Disposing that handle is the object's
    /// part: code that can dispose it otherwise can reach the object, so the object is what is shared or not. NtCoreLib's
    /// <c>NtObject.Handle</c>, closed by <c>NtObject.Dispose(bool)</c>, read through a <c>using NtFile file</c>.
    /// A public setter (anyone may swap the handle in), a field read from another object, or a class whose disposal does not
    /// close the handle is not such an owner.
    /// </summary>
    internal sealed class OwnedHandleProperties
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<IPropertySymbol, bool> _owned = ConcurrentTables.Create<IPropertySymbol, bool>(SymbolEqualityComparer.Default);

        private OwnedHandleProperties(InteropContext context)
        {
            _context = context;
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static OwnedHandleProperties Of(InteropContext context) => context.Held.Get(c => new OwnedHandleProperties(c));

        /// <summary>The object whose handle <paramref name="receiver"/> reads, when the object owns it (above); otherwise null.</summary>
        public IOperation? OwnerOf(IOperation receiver)
            => OperationTree.SkipConversions(receiver) is IPropertyReferenceOperation { Instance: { } owner, Property: { IsStatic: false, Parameters.Length: 0 } property }
               && _context.Types.IsHandleWrapper(property.Type as INamedTypeSymbol)
               && IsOwned(property.OriginalDefinition)
                ? OperationTree.SkipConversions(owner)
                : null;

        private bool IsOwned(IPropertySymbol property)
            => _owned.TryGetValue(property, out var owned) ? owned : _owned.GetOrAdd(property, Read);

        private bool Read(IPropertySymbol property)
        {
            if (property.ContainingType is not { TypeKind: TypeKind.Class } type || !property.Locations.Any(l => l.IsInSource)
                || (property.SetMethod != null && property.SetMethod.DeclaredAccessibility != Accessibility.Private)
                || BackingField(property) is not { } field)
            {
                return false;
            }

            foreach (var dispose in type.GetMembers("Dispose").OfType<IMethodSymbol>())
            {
                if (dispose.IsStatic || dispose.Parameters.Length > 1 || (dispose.Parameters.Length == 1 && dispose.Parameters[0].Type.SpecialType != SpecialType.System_Boolean)
                    || !WrapperSummaries.IsSourceMethodWithBody(dispose) || _context.Wrappers.GetBody(dispose) is not { } body)
                {
                    continue;
                }

                if (body.Descendants().OfType<IInvocationOperation>().Any(call => call.TargetMethod.Name is "Close" or "Dispose" && call.Instance != null
                                                                                 && !OperationTree.IsInNestedFunction(call, body) && IsOwnValue(call.Instance, property, field)))
                {
                    return true;
                }
            }

            return false;
        }

        // The auto-property's backing field, or the private field of this the getter returns and nothing else.
        private IFieldSymbol? BackingField(IPropertySymbol property)
        {
            var backing = property.ContainingType.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));
            if (backing != null)
            {
                return backing;
            }

            if (property.SetMethod != null || property.GetMethod is not { } getter || !WrapperSummaries.IsSourceMethodWithBody(getter) || _context.Wrappers.GetBody(getter) is not { } body)
            {
                return null;
            }

            var returns = body.Descendants().OfType<IReturnOperation>().ToList();
            return returns.Count == 1 && returns[0].ReturnedValue is { } value
                   && OperationTree.SkipConversions(value) is IFieldReferenceOperation { Field: { IsStatic: false, DeclaredAccessibility: Accessibility.Private } returned, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } }
                ? returned
                : null;
        }

        private static bool IsOwnValue(IOperation instance, IPropertySymbol property, IFieldSymbol field)
            => OperationTree.SkipConversions(instance) switch
            {
                IPropertyReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } read => SymbolEqualityComparer.Default.Equals(read.Property.OriginalDefinition, property),
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } read => SymbolEqualityComparer.Default.Equals(read.Field.OriginalDefinition, field),
                _ => false,
            };
    }
}
