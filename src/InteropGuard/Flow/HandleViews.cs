using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A view: a property of the compilation whose getter only makes a handle that owns nothing over the object's own
    /// memory (NtCoreLib's <c>buffer.Data</c>, <c>new SafeHGlobalBuffer(handle + offset, length, false)</c>). Disposing the
    /// view releases nothing; its raw value lives as long as the object it was read from, so that object's sharing is what
    /// counts. A local that holds a view from its declaration on and is never written again (<c>var data = buffer.Data;</c>)
    /// is that view.
    /// </summary>
    internal static class HandleViews
    {
        /// <summary>The object <paramref name="receiver"/> is a view of, or <paramref name="receiver"/> itself.</summary>
        public static IOperation Owner(InteropContext interop, IOperation receiver)
        {
            var handle = OperationTree.SkipConversions(receiver);
            if (handle is ILocalReferenceOperation { Local: { } local }
                && new StableValues().InitializerOf(local, handle.SemanticModel) is { } initial
                && Owner(interop, initial) is var viewed && viewed != OperationTree.SkipConversions(initial))
            {
                return viewed;
            }

            if (handle is not IPropertyReferenceOperation { Instance: { } owner, Property: { GetMethod: { } getter, Parameters.Length: 0 } }
                || !WrapperSummaries.IsSourceMethodWithBody(getter)
                || interop.Wrappers.GetBody(getter.OriginalDefinition) is not { } body)
            {
                return handle;
            }

            var returns = body.Descendants().OfType<IReturnOperation>().Where(r => !OperationTree.IsInNestedFunction(r, body)).ToList();
            return returns.Count > 0 && returns.All(r => r.ReturnedValue != null && IsViewOfThis(interop, r.ReturnedValue))
                ? OperationTree.SkipConversions(owner)
                : handle;
        }

        // 'new View(handle + offset, length, false)': a creation told it owns nothing, over an address read from 'this'.
        private static bool IsViewOfThis(InteropContext interop, IOperation value)
            => OperationTree.SkipConversions(value) is IObjectCreationOperation creation
               && (interop.HandleReleases.CreationDisowns(creation) || interop.HandleReleases.ConstructorDisowns(creation.Constructor))
               && creation.Arguments.Any(a => a.Value.DescendantsAndSelf().Any(o => o is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }));
    }
}
