import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { VoteCountQuery } from './vote-count.query';
import { VoteService } from './vote.service';

export const VOTE_ACCEPTED = '成功';

@Resolver()
export class VoteResolver {
  constructor(
    private readonly votes: VoteService,
    private readonly counts: VoteCountQuery,
  ) {}

  @Mutation(() => String)
  async vote(
    @Args('usernames', { type: () => [String] }) usernames: string[],
    @Args('ticket') ticket: string,
  ): Promise<string> {
    await this.votes.vote(usernames, ticket);
    return VOTE_ACCEPTED;
  }

  @Query(() => Int)
  query(@Args('username') username: string): Promise<number> {
    return this.counts.count(username);
  }
}
