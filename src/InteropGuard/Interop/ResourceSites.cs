using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>An operation that hands out a resource the method then owns, and what kind of resource it is.</summary>
    internal sealed class ResourceSite
    {
        public ResourceSite(IOperation operation, Allocator allocator)
        {
            Operation = operation;
            Allocator = allocator;
        }

        /// <summary>A call, a <c>new</c> of a SafeHandle, or the <c>out</c> argument a native call fills with one.</summary>
        public IOperation Operation { get; }

        public Allocator Allocator { get; }
    }

    /// <summary>Where resources come from: catalogued calls, SafeHandle creations and SafeHandle out arguments of native calls.</summary>
    internal static class ResourceSites
    {
        public static bool IsSite(IOperation operation, AllocationCatalogue catalogue) => Classify(operation, catalogue) != null;

        public static IEnumerable<ResourceSite> In(ControlFlowGraph graph, AllocationCatalogue catalogue)
        {
            foreach (var block in graph.Blocks)
            {
                var operations = block.BranchValue == null ? block.Operations : block.Operations.Add(block.BranchValue);
                foreach (var operation in operations.SelectMany(o => o.DescendantsAndSelf()))
                {
                    if (Classify(operation, catalogue) is { } allocator)
                    {
                        yield return new ResourceSite(operation, allocator);
                    }
                }
            }
        }

        private static bool IsWritten(IPropertyReferenceOperation property)
            => property.Parent is IAssignmentOperation assignment && assignment.Target == property
               || property.Parent is IIncrementOrDecrementOperation
               || property.Parent is IArgumentOperation { Parameter.RefKind: not RefKind.None };

        private static Allocator? Classify(IOperation operation, AllocationCatalogue catalogue)
        {
            switch (operation)
            {
                case IInvocationOperation invocation:
                    return catalogue.TryGetAllocator(invocation.TargetMethod, out var allocator) ? allocator : null;
                case IObjectCreationOperation creation:
                    // new SafeFileHandle(fd, ownsHandle: false) is a view: disposing it closes nothing.
                    return creation.Arguments.Any(a => a.Parameter?.Name == "ownsHandle" && a.Value.ConstantValue is { HasValue: true, Value: false })
                        ? null
                        : catalogue.ForCreatedHandle(creation.Type);
                case IArgumentOperation { Parameter: { } parameter, Parent: IInvocationOperation call }:
                    return catalogue.ForOutHandle(call.TargetMethod, parameter);
                case IPropertyReferenceOperation { Property.GetMethod: { } getter, Arguments.IsEmpty: true } property when !IsWritten(property):
                    // A property whose getter returns a fresh allocation (a 'Gch' returning GCHandle.Alloc(this, Pinned)).
                    return catalogue.TryGetAllocator(getter, out var returned) ? returned : null;
                default:
                    return null;
            }
        }
    }
}
